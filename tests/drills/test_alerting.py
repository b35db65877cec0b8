"""Issue 6 end-to-end drill on the converged local fleet: a component stops, its alert fires
in both Prometheus replicas, and Alertmanager's cluster delivers it once to the receiver its
severity routes to (the local environment's webhook sink on mach-a1,
molecule/fleet/receiver.yml). Prints its figures."""

import json
import time
from urllib.parse import quote

import pytest
import testinfra
from fleetlib import HOSTS

pytestmark = pytest.mark.fleet
REPLICAS = ("mach-b1", "mach-c1")
VICTIM = "mach-a1"
SINK = "/var/tmp/webhook"


def prometheus(replica, path):
    node = testinfra.get_host(f"docker://{replica}")
    out = node.check_output(
        f"curl -fsS -m 10 --cacert /etc/prometheus/tls/ca.crt "
        f"'https://{replica}:9090/api/v1/{path}'"
    )
    return json.loads(out)["data"]


def target_down(alert):
    labels = alert["labels"]
    return labels["alertname"] == "TargetDown" and labels.get("node") == VICTIM


def received(node, receiver):
    """The notifications the sink on `node` has written for `receiver`, oldest first."""
    lines = node.run(f"cat {SINK}/{receiver}.jsonl 2>/dev/null").stdout.splitlines()
    return [json.loads(line) for line in lines]


def ours(notifications):
    return [n for n in notifications if any(target_down(a) for a in n["alerts"])]


def test_a_stopped_exporter_pages_once_through_the_webhook(fleet):
    """Stop mach-a1's node exporter: TargetDown (up == 0 for 3 minutes, severity page) fires
    in both replicas, and the pager receiver gets it exactly once - the two replicas' copies
    deduplicated by the Alertmanager cluster - with its runbook link; no ticket is sent for
    it. The exporter is started again and scraped before the drill ends. The sink runs on the
    victim, mach-a1: only its exporter stops."""
    a1 = testinfra.get_host(f"docker://{VICTIM}")
    assert a1.service("webhook-sink").is_running
    before = {r: len(received(a1, r)) for r in ("pager", "tickets")}
    a1.check_output("systemctl stop prometheus-node-exporter")
    stopped = time.monotonic()
    firing, delivered = {}, None
    try:
        while time.monotonic() - stopped < 420 and delivered is None:
            time.sleep(5)
            for replica in REPLICAS:
                alerts = prometheus(replica, "alerts")["alerts"]
                if replica not in firing and any(
                    target_down(a) and a["state"] == "firing" for a in alerts
                ):
                    firing[replica] = time.monotonic() - stopped
            if ours(received(a1, "pager")[before["pager"] :]):
                delivered = time.monotonic() - stopped
        assert delivered is not None, f"no page within 420 s; firing in {firing}"
        assert set(firing) == set(REPLICAS), firing
        # Both replicas sent it to both members: still one notification, after a group_wait.
        time.sleep(20)
        pages = ours(received(a1, "pager")[before["pager"] :])
        assert len(pages) == 1, pages
        note = pages[0]
        assert note["status"] == "firing"
        assert note["receiver"] == "pager"
        alert = next(a for a in note["alerts"] if target_down(a))
        assert alert["labels"]["severity"] == "page"
        assert alert["labels"]["job"] == "node"
        assert alert["annotations"]["runbook_url"].endswith("docs/runbooks/TargetDown.md")
        assert "replica" not in alert["labels"]
        assert not ours(received(a1, "tickets")[before["tickets"] :])
    finally:
        a1.check_output("systemctl start prometheus-node-exporter")
    deadline = time.monotonic() + 120
    for replica in REPLICAS:
        while True:
            query = quote(f'up{{job="node",node="{VICTIM}"}}')
            up = prometheus(replica, f"query?query={query}")["result"]
            if up and up[0]["value"][1] == "1":
                break
            assert time.monotonic() < deadline, (replica, up)
            time.sleep(3)
    print(
        f"\nalerting drill: node exporter on {VICTIM} stopped; TargetDown firing after "
        + ", ".join(f"{r} {s:.0f} s" for r, s in sorted(firing.items()))
        + f"; paged once through the webhook after {delivered:.0f} s (of {len(HOSTS)} nodes)"
    )
