"""Role logs on every node of the scenario (roles/logs shares roles/opensearch's scenario): rsyslog
reads the journal and ships it into the search cluster over TLS as its own user, with its
password only in root's files; a line from `logger` and one from a systemd unit are found by
their fields; entries written while the cluster cannot be reached wait on disk across a restart
of rsyslog and arrive once it can; old daily indices are deleted; check and wrong input behave."""

from __future__ import annotations

import json
import re
import secrets
import shlex
import time
from pathlib import Path

import yaml
from clients import (
    check_changes_nothing,
    retention_deletes_only_past_days,
    wrong_input_fails_before_any_change,
)
from test_default import ADDRESS, ZONE, rest

from mach_ops.molecule import node, playbook

testinfra_hosts = ["ansible://all"]

SCENARIO = Path(__file__).resolve().parent.parent
ALERTS = SCENARIO.parents[2] / "logs/files/prometheus/alerts.yml"
# The nodes' nftables table that cuts them off the search cluster in the queue test.
CUT = "mach_test_logs_cut"


def parse_labels(text: str) -> dict[str, str]:
    """`a="x",b="y"` (a sample's labels, in whatever order the exporter writes them)."""
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', text))


def logs_action(name: str, *extra: str):
    return playbook(SCENARIO / "logs-action.yml", "-e", f"mach_action={name}", *extra)


def search(query: dict, expected: int, timeout: float = 90) -> list[dict]:
    """The shipped documents that match `query`, once `expected` of them are searchable."""
    body = {"query": query, "size": 50}
    deadline, hits = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        # Every copy refreshed: a search may be served by the primary or the replica, which
        # refresh on their own clocks, and a later query must see what this one saw.
        rest("os-a", "/logs-*/_refresh", "POST")
        code, answer = rest("os-a", "/logs-*/_search", "POST", body)
        hits = [h["_source"] for h in answer["hits"]["hits"]] if code == 200 else []
        if len(hits) >= expected:
            return hits
        time.sleep(2)
    return hits


def found(token: str, expected: int, timeout: float = 90) -> list[dict]:
    """The shipped documents whose message holds `token`, once `expected` of them are searchable."""
    return search({"match_phrase": {"message": token}}, expected, timeout)


def test_rsyslog_ships_with_its_password_in_root_files_only(host):
    rsyslog = host.service("rsyslog")
    assert rsyslog.is_running and rsyslog.is_enabled
    config = host.file("/etc/rsyslog.conf")
    assert (config.user, config.group, config.mode) == ("root", "root", 0o600)
    assert "omelasticsearch" in config.content_string
    assert host.run("rsyslogd -N1").rc == 0
    # Every node here is a search node: each runs the retention, whose user reads the password.
    password = host.file("/etc/mach-logs/opensearch.password")
    assert (password.user, password.group, password.mode) == ("root", "mach-logs", 0o640)
    retention = host.service("logs-retention.timer")
    assert retention.is_enabled and retention.is_running
    # The journal is read directly: journald forwards nothing to a syslog socket.
    journald = host.file("/etc/systemd/journald.conf.d/50-mach.conf").content_string
    assert "ForwardToSyslog=no" in journald


def test_a_logger_line_and_a_unit_line_are_found_by_their_fields():
    """One `logger` line on each node, and one line from a transient unit on os-b: each is one
    document in the day's index, with its node, zone, service and level (rsyslog writes the
    ECS names dotted; the index template maps them as objects, so both forms query)."""
    token = f"mach-logs-probe-{secrets.token_hex(6)}"
    for name in ZONE:
        node(name).check_output(f"logger -p user.warning -t mach-probe '{token} from {name}'")
    unit = f"mach-logs-unit-{secrets.token_hex(4)}"
    node("os-b").check_output(f"systemd-run --unit {unit} --wait /bin/echo '{token} from a unit'")
    started = time.monotonic()
    # systemd's own "Started <unit> - /bin/echo <token> ..." line holds the token too.
    hits = [
        h for h in found(token, 5) if h["log.logger"] == "mach-probe" or h["service.name"] == unit
    ]
    took = time.monotonic() - started
    assert len(hits) == 4, hits
    by_logger = {h["host.name"]: h for h in hits if h["log.logger"] == "mach-probe"}
    assert sorted(by_logger) == sorted(ZONE)
    for name, hit in by_logger.items():
        assert hit["mach.zone"] == ZONE[name]
        assert (hit["service.name"], hit["log.level"]) == ("mach-probe", "warning")
        assert hit["message"].strip() == f"{token} from {name}"
    (from_unit,) = [h for h in hits if h["log.logger"] != "mach-probe"]
    assert (from_unit["host.name"], from_unit["service.name"]) == ("os-b", unit)
    assert from_unit["systemd.unit"] == f"{unit}.service"
    by_fields = {
        "bool": {"filter": [{"term": {"service.name": unit}}, {"term": {"host.name": "os-b"}}]}
    }
    rest("os-a", "/logs-*/_refresh", "POST")
    code, count = rest("os-a", "/logs-*/_count", "POST", {"query": by_fields})
    assert code == 200 and count["count"] >= 1, count
    day = time.strftime("%Y-%m-%d", time.gmtime())
    _, settings = rest("os-a", f"/logs-{day}/_settings")
    index = settings[f"logs-{day}"]["settings"]["index"]
    assert (index["number_of_shards"], index["number_of_replicas"]) == ("1", "1")
    print(f"\nlogs: 4 lines searchable {took:.1f} s after they were written")


def test_a_services_json_line_is_found_by_its_trace_id():
    """A unit writes a line as the services do (services/kit: mach_service_kit.logs, one JSON
    object with the trace and span ids): its document carries the line's own message, level and
    logger, the trace and span ids and the exception, and is found by the trace id."""
    trace, span = secrets.token_hex(16), secrets.token_hex(8)
    unit = f"mach-logs-service-{secrets.token_hex(4)}"
    line = json.dumps(
        {
            "time": "2026-12-07T10:00:00+00:00",
            "level": "ERROR",
            "service": "order",
            "logger": "mach_order.saga",
            "message": f"payment refused for order {span}",
            "trace_id": trace,
            "span_id": span,
            "exception": "Traceback (most recent call last):\n  ...\nValueError: refused",
        }
    )
    node("os-b").check_output(f"systemd-run --unit {unit} --wait /bin/echo {shlex.quote(line)}")
    (hit,) = search({"term": {"trace.id": trace}}, 1)
    assert hit["message"] == f"payment refused for order {span}"
    assert (hit["log.level"], hit["log.logger"]) == ("error", "mach_order.saga")
    assert (hit["span.id"], hit["service.name"]) == (span, unit)
    assert hit["error.stack_trace"].endswith("ValueError: refused")


def test_entries_wait_on_disk_while_the_cluster_is_unreachable_and_arrive_after():
    """os-c is cut off the search cluster (its own node included). The first entry after the cut
    suspends the action, which retries it; lines written after that wait in rsyslog's queue,
    which a restart saves to disk and takes up again; once the cut is gone they arrive, once.
    (The batch being retried at the restart itself is lost: rsyslog's issue 5364, README.)"""
    token = f"mach-logs-queued-{secrets.token_hex(6)}"
    c = node("os-c")
    since = c.check_output("date '+%Y-%m-%d %H:%M:%S'")
    rules = " ; ".join(
        [
            f"add table inet {CUT}",
            f"add chain inet {CUT} out {{ type filter hook output priority 0 ; }}",
            f"add rule inet {CUT} out ip daddr {{ {', '.join(ADDRESS.values())} }} tcp dport 9200"
            " reject with tcp reset",
        ]
    )
    c.check_output(f"nft '{rules}'")
    try:
        c.check_output("logger -t mach-probe 'the first line after the cut'")
        suspended = f"journalctl -u rsyslog --since '{since}' -o cat | grep -c 'suspended'"
        deadline = time.monotonic() + 60
        while c.run(suspended).stdout.strip() in ("", "0") and time.monotonic() < deadline:
            time.sleep(1)
        assert c.run(suspended).stdout.strip() not in ("", "0"), "the action was not suspended"
        for n in (1, 2, 3):
            c.check_output(f"logger -t mach-probe '{token} line {n}'")
        time.sleep(3)
        c.check_output("systemctl restart rsyslog")
        queued = c.check_output("ls /var/spool/rsyslog")
        assert "mach-logs.qi" in queued, queued
        assert found(token, 1, timeout=10) == []
    finally:
        c.run(f"nft delete table inet {CUT}")
    started = time.monotonic()
    hits = found(token, 3, timeout=120)
    took = time.monotonic() - started
    assert sorted(h["message"].strip() for h in hits) == [f"{token} line {n}" for n in (1, 2, 3)]
    assert {h["host.name"] for h in hits} == {"os-c"}
    print(f"\nlogs: 3 queued lines arrived {took:.1f} s after the cut was gone")


def test_the_metrics_its_alerts_use_are_exported():
    """rsyslog's statistics reach node_exporter on every node: each counter an alert reads, and
    the file's mtime (the shipper still reports)."""
    rules = yaml.safe_load(ALERTS.read_text())
    exprs = " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])
    used = set(re.findall(r'origin="([^"]+)",\s*(?:name=~?"[^"]+",\s*)?counter="([^"]+)"', exprs))
    assert len(used) == 3, used
    deadline = time.monotonic() + 60  # impstats writes every 30 s
    for name in ZONE:
        while True:
            exported = node(name).check_output("curl -sS -m 10 http://127.0.0.1:9100/metrics")
            have = {
                (labels["origin"], labels["counter"])
                for labels in map(
                    parse_labels, re.findall(r"^mach_logs_rsyslog_stat\{(.*)\} ", exported, re.M)
                )
            }
            if used <= have or time.monotonic() > deadline:
                break
            time.sleep(5)
        assert used <= have, (name, sorted(used - have))
        assert re.search(
            r'^node_textfile_mtime_seconds\{file=".*/mach_logs\.prom"\} ', exported, re.M
        )


def test_its_user_writes_log_indices_only():
    assert rest("os-a", "/logs-*/_search", user="logs")[0] == 200
    assert rest("os-a", "/products-x/_doc/1", "PUT", {"a": 1}, user="logs")[0] == 403
    assert rest("os-a", "/jaeger-span-x/_doc/1", "PUT", {"a": 1}, user="logs")[0] == 403
    assert rest("os-a", "/_plugins/_security/api/internalusers", user="logs")[0] == 403


def test_retention_deletes_the_daily_indices_past_their_days_only():
    """logs-retention.service started now on os-a (as its user): an index dated long ago goes;
    today's, and an index that is not a daily one, stay."""
    retention_deletes_only_past_days("logs", "os-a", "logs-{day}", "logs-notes")


def test_check_action_changes_nothing_and_logs_no_password():
    check_changes_nothing(logs_action, sorted(ZONE), "opensearch-logs")


def test_wrong_input_fails_before_any_change():
    wrong_input_fails_before_any_change(logs_action, "logs")
