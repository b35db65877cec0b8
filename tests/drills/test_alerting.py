"""Issue 6 end-to-end drill on the converged local fleet: a component stops, its alert fires
in both Prometheus replicas, and Alertmanager's cluster delivers it once to the receiver its
severity routes to (the local environment's webhook sink on mach-a1,
molecule/fleet/receiver.yml). Prints its figures. The component is a Redis replica: RedisDown
waits one minute (TargetDown, a page, waits three), and Sentinel keeps the master where it is."""

import json
import time
from urllib.parse import quote

import pytest
import testinfra
from fleetlib import HOSTS, await_replicating, platform_secret, sentinel_master

pytestmark = pytest.mark.fleet
REPLICAS = ("mach-b1", "mach-c1")
SINK_NODE = "mach-a1"
SINK = "/var/tmp/webhook"


def prometheus(replica, path):
    node = testinfra.get_host(f"docker://{replica}")
    out = node.check_output(
        f"curl -fsS -m 10 --cacert /etc/prometheus/tls/ca.crt "
        f"'https://{replica}:9090/api/v1/{path}'"
    )
    return json.loads(out)["data"]


def redis_down(alert, victim):
    labels = alert["labels"]
    return labels["alertname"] == "RedisDown" and labels.get("node") == victim


def received(node, receiver):
    """The notifications the sink on `node` has written for `receiver`, oldest first."""
    lines = node.run(f"cat {SINK}/{receiver}.jsonl 2>/dev/null").stdout.splitlines()
    return [json.loads(line) for line in lines]


def ours(notifications, victim):
    return [n for n in notifications if any(redis_down(a, victim) for a in n["alerts"])]


def test_a_stopped_redis_replica_is_ticketed_once_through_the_webhook(fleet):
    """Stop a Redis replica's server: RedisDown (redis_up == 0 for a minute, severity ticket)
    fires in both Prometheus replicas, and the tickets receiver gets it exactly once - the two
    replicas' copies deduplicated by the Alertmanager cluster - with its runbook link; no page
    is sent for it. The server is started again, replicates and is scraped before the drill
    ends."""
    keys = platform_secret("redis")["data"]
    sink = testinfra.get_host(f"docker://{SINK_NODE}")
    assert sink.service("webhook-sink").is_running
    master = sentinel_master(sink, keys["sentinel"])
    assert master in HOSTS
    victim = next(h for h in HOSTS if h != master)
    node = testinfra.get_host(f"docker://{victim}")
    before = {r: len(received(sink, r)) for r in ("pager", "tickets")}
    node.check_output("systemctl stop redis-server")
    stopped = time.monotonic()
    firing, delivered = {}, None
    try:
        while time.monotonic() - stopped < 300 and delivered is None:
            time.sleep(5)
            for replica in REPLICAS:
                alerts = prometheus(replica, "alerts")["alerts"]
                if replica not in firing and any(
                    redis_down(a, victim) and a["state"] == "firing" for a in alerts
                ):
                    firing[replica] = time.monotonic() - stopped
            if ours(received(sink, "tickets")[before["tickets"] :], victim):
                delivered = time.monotonic() - stopped
        assert delivered is not None, f"no ticket within 300 s; firing in {firing}"
        assert set(firing) == set(REPLICAS), firing
        # Both replicas sent it to both members: still one notification, after a group_wait.
        time.sleep(20)
        tickets = ours(received(sink, "tickets")[before["tickets"] :], victim)
        assert len(tickets) == 1, tickets
        note = tickets[0]
        assert note["status"] == "firing"
        assert note["receiver"] == "tickets"
        alert = next(a for a in note["alerts"] if redis_down(a, victim))
        assert alert["labels"]["severity"] == "ticket"
        assert alert["labels"]["job"] == "redis"
        assert alert["annotations"]["runbook_url"].endswith("docs/runbooks/RedisDown.md")
        assert "replica" not in alert["labels"]
        assert not ours(received(sink, "pager")[before["pager"] :], victim)
    finally:
        node.check_output("systemctl start redis-server")
    await_replicating(node, keys["admin"])
    deadline = time.monotonic() + 120
    for replica in REPLICAS:
        while True:
            query = quote(f'redis_up{{job="redis",node="{victim}"}}')
            up = prometheus(replica, f"query?query={query}")["result"]
            if up and up[0]["value"][1] == "1":
                break
            assert time.monotonic() < deadline, (replica, up)
            time.sleep(3)
    print(
        f"\nalerting drill: Redis replica on {victim} stopped (master {master}); RedisDown "
        "firing after "
        + ", ".join(f"{r} {s:.0f} s" for r, s in sorted(firing.items()))
        + f"; ticketed once through the webhook after {delivered:.0f} s (of {len(HOSTS)} nodes)"
    )
