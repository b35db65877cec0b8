"""Role prometheus: a pair (mol-a, mol-b) on an air-gapped network serving TLS only; each
replica scrapes every node's exporter and both replicas, with node and zone labels, and loads
the listed components' rules with the site's runbook links; a node exporter that stops is seen
down and its TargetDown alert becomes active on both replicas, then recovers."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote

import pytest
import testinfra

from mach_ops.testing import assert_tls_only, wait_for

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = ["ansible://mol-a"]

REPLICAS = ["mol-a", "mol-b"]
NODES = ["mol-a", "mol-b", "mol-c"]
ZONES = {"mol-a": "zone-a", "mol-b": "zone-b", "mol-c": "zone-c"}
CA = "/etc/prometheus/tls/ca.crt"


def node(name: str):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def api(host, replica: str, path: str) -> dict:
    out = host.check_output(f"curl -sSf -m 8 --cacert {CA} 'https://{replica}:9090/api/v1/{path}'")
    body = json.loads(out)
    assert body["status"] == "success", body
    return body["data"]


def query(host, replica: str, expr: str) -> list[dict]:
    return api(host, replica, f"query?query={quote(expr)}")["result"]


def test_tls_only_with_the_internal_ca(host):
    assert_tls_only(host, REPLICAS, 9090, CA)


@pytest.mark.parametrize("replica", REPLICAS)
def test_each_replica_scrapes_every_target_with_node_and_zone(host, replica):
    def all_up():
        targets = api(host, replica, "targets?state=active")["activeTargets"]
        seen = {
            (t["labels"]["job"], t["labels"]["node"], t["labels"].get("zone"), t["health"])
            for t in targets
        }
        return seen if {s[3] for s in seen} == {"up"} and len(seen) == 5 else None

    seen = wait_for(all_up, 60, f"every target up on {replica}")
    assert seen == {("node", n, ZONES[n], "up") for n in NODES} | {
        ("prometheus", r, ZONES[r], "up") for r in REPLICAS
    }


def test_replicas_are_told_apart_by_their_external_label(host):
    labels = {}
    for replica in REPLICAS:
        config = api(host, replica, "status/config")["yaml"]
        labels[replica] = [line.strip() for line in config.splitlines() if "replica:" in line]
    assert labels == {r: [f"replica: {r}"] for r in REPLICAS}


def test_the_components_rules_load_with_the_sites_runbook_links(host):
    for replica in REPLICAS:
        groups = api(host, replica, "rules")["groups"]
        names = {g["name"] for g in groups}
        assert names == {"node", "prometheus"}, names  # common's and its own; no kafka
        rules = [r for g in groups for r in g["rules"]]
        assert rules and all(r["health"] == "ok" for r in rules), [
            (r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"
        ]
        alerts = [r for r in rules if r["type"] == "alerting"]
        assert {r["name"] for r in alerts} >= {"TargetDown", "PrometheusRuleFailures"}
        for rule in alerts:
            url = rule["annotations"]["runbook_url"]
            assert (
                url == f"https://git.mach.test/platform/-/blob/main/docs/runbooks/{rule['name']}.md"
            )
    assert not host.file("/etc/prometheus/rules/kafka.yml").exists


def test_the_metrics_its_own_alerts_use_are_served(host):
    for replica in REPLICAS:
        for metric in (
            "prometheus_config_last_reload_successful",
            "prometheus_rule_evaluation_failures_total",
        ):
            result = query(host, replica, f'{metric}{{node="{replica}"}}')
            assert result, f"{metric} not served by {replica}"
        assert query(host, replica, "prometheus_config_last_reload_successful == 1")


def test_a_stopped_exporter_is_seen_down_and_its_alert_becomes_active(host):
    """The node exporter on mol-c stops: both replicas see up == 0 and TargetDown pending (it
    fires after its `for`); it starts again and both see it up."""
    exporter = node("mol-c").service("prometheus-node-exporter")
    selector = 'job="node",node="mol-c"'
    node("mol-c").run("systemctl stop prometheus-node-exporter")
    try:
        started = time.monotonic()
        for replica in REPLICAS:
            wait_for(
                lambda r=replica: query(host, r, f"up{{{selector}}} == 0"),
                30,
                f"{replica} sees mol-c's exporter down",
            )
            alert = wait_for(
                lambda r=replica: query(host, r, f'ALERTS{{alertname="TargetDown",{selector}}}'),
                30,
                f"TargetDown active on {replica}",
            )
            assert alert[0]["metric"]["alertstate"] in ("pending", "firing")
            assert alert[0]["metric"]["zone"] == "zone-c"
        print(
            f"\nexporter down seen and alert active on both replicas in "
            f"{time.monotonic() - started:.1f} s"
        )
    finally:
        node("mol-c").run("systemctl start prometheus-node-exporter")
    assert exporter.is_running
    for replica in REPLICAS:
        wait_for(
            lambda r=replica: query(host, r, f"up{{{selector}}} == 1"),
            30,
            f"{replica} sees mol-c's exporter up again",
        )
