"""Role alertmanager: three members (mol-a, mol-b, mol-c) in one gossip cluster on an
air-gapped network, TLS only; an alert that every member receives (as the Prometheus pair
sends it) is notified once, to the receiver its labels route to; a paging alert inhibits the
tickets of its instance; a silence set on one member holds on every member."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import testinfra

from mach_ops.testing import assert_tls_only, wait_for

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = ["ansible://mol-a"]

MEMBERS = ["mol-a", "mol-b", "mol-c"]
CA = "/etc/prometheus/alertmanager-tls/ca.crt"


def node(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def api(host, member: str, path: str, body=None):
    data = ""
    if body is not None:
        payload = json.dumps(body).replace("'", "'\\''")
        data = f"-X POST -H 'Content-Type: application/json' -d '{payload}'"
    out = host.check_output(
        f"curl -sSf -m 8 --cacert {CA} {data} 'https://{member}:9093/api/v2/{path}'"
    )
    return json.loads(out) if out.strip() else None


def fire(host, labels: dict) -> None:
    """As Prometheus does: the same alert to every member."""
    alert = [{"labels": labels, "annotations": {"summary": "molecule"}}]
    for member in MEMBERS:
        api(host, member, "alerts", alert)


def received(name: str, alertname: str) -> list[dict]:
    out = node("mol-c").run(f"cat /var/tmp/webhook/{name}.jsonl").stdout
    notes = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [n for n in notes if n["commonLabels"].get("alertname") == alertname]


def test_tls_only_with_the_internal_ca(host):
    assert_tls_only(host, MEMBERS, 9093, CA)


@pytest.mark.parametrize("member", MEMBERS)
def test_every_member_sees_the_whole_cluster(host, member):
    status = api(host, member, "status")
    assert status["cluster"]["status"] == "ready"
    assert len(status["cluster"]["peers"]) == len(MEMBERS)


def test_each_alert_is_notified_once_to_its_receiver(host):
    """Every member gets every alert; the member first in the cluster's order sends, the
    others wait 15 s per position (peer timeout) and find it in the shared notification log:
    after 35 s a duplicate would have arrived."""
    cases = {"pager": {"severity": "page"}, "tickets": {"severity": "ticket"}}
    cases["payments"] = {"severity": "page", "team": "payments"}
    names = {receiver: f"Drill{uuid.uuid4().hex[:8]}" for receiver in cases}
    started = time.monotonic()
    for receiver, labels in cases.items():
        # an instance of its own: a page inhibits the tickets of its instance
        fire(host, {"alertname": names[receiver], "instance": f"{receiver}:1", **labels})
    for receiver, alertname in names.items():
        wait_for(lambda r=receiver, a=alertname: received(r, a), 60, f"{alertname} at {receiver}")
    time.sleep(max(0.0, 35 - (time.monotonic() - started)))
    for receiver, alertname in names.items():
        notes = received(receiver, alertname)
        assert len(notes) == 1, (receiver, notes)
        assert notes[0]["receiver"] == receiver and notes[0]["status"] == "firing"
        for other in set(cases) - {receiver}:
            assert received(other, alertname) == [], (alertname, other)


def test_a_paging_alert_inhibits_the_tickets_of_its_instance(host):
    instance = f"inhibit-{uuid.uuid4().hex[:8]}:1"
    fire(host, {"alertname": "DrillPage", "severity": "page", "instance": instance})
    fire(host, {"alertname": "DrillTicket", "severity": "ticket", "instance": instance})

    def inhibited():
        alerts = api(host, "mol-b", "alerts?filter=" + f'instance="{instance}"'.replace('"', "%22"))
        state = {a["labels"]["alertname"]: a["status"] for a in alerts}
        return state if state.get("DrillTicket", {}).get("inhibitedBy") else None

    state = wait_for(inhibited, 30, "DrillTicket inhibited")
    assert state["DrillPage"]["state"] == "active"
    assert state["DrillTicket"]["state"] == "suppressed"


def test_a_silence_set_on_one_member_holds_on_every_member(host):
    alertname = f"Silenced{uuid.uuid4().hex[:8]}"
    now = time.time()
    silence = {
        "matchers": [{"name": "alertname", "value": alertname, "isRegex": False}],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
        "createdBy": "molecule",
        "comment": "silence gossip",
    }
    silence_id = api(host, "mol-a", "silences", silence)["silenceID"]
    for member in MEMBERS:
        wait_for(
            lambda m=member: any(s["id"] == silence_id for s in api(host, m, "silences")),
            30,
            f"silence on {member}",
        )
    fire(host, {"alertname": alertname, "severity": "page", "instance": "drill:1"})
    time.sleep(10)
    assert received("pager", alertname) == []
