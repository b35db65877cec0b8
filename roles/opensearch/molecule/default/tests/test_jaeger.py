"""Role jaeger on os-b and os-c (the observability group), storing spans in the scenario's
search cluster: it runs as its own user with its password in a file only it reads, a trace of
two services sent over OTLP/HTTPS to one instance is stored in OpenSearch and answered by the
other instance's query API, the metrics its alerts use are exported, its user reaches Jaeger's
indices only, old daily indices are deleted, and check and wrong input behave."""

from __future__ import annotations

import json
import re
import shlex
import time
from pathlib import Path

import yaml
from clients import (
    check_changes_nothing,
    retention_deletes_only_past_days,
    wrong_input_fails_before_any_change,
)
from test_default import rest

from mach_ops.molecule import node, playbook, secret
from mach_ops.testing import spans_by_service, two_service_trace

testinfra_hosts = ["ansible://observability"]

SCENARIO = Path(__file__).resolve().parent.parent
TLS = "/etc/jaeger/tls"
PORTS = (4317, 4318, 16686, 16685, 13133, 8888)
ALERTS = SCENARIO.parents[2] / "jaeger/files/prometheus/alerts.yml"


def https(name: str, port: int, path: str, body: str | None = None) -> tuple[int, object]:
    """One HTTPS call from node `name` to its own Jaeger's `port` (the internal CA verifies it)."""
    args = ["curl", "-sS", "-m", "20", "-w", "\\n%{http_code}", "--cacert", f"{TLS}/ca.crt"]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
    command = shlex.join([*args, f"https://{name}:{port}{path}"])
    if body is not None:
        command += f" <<'EOF'\n{body}\nEOF"
    out = node(name).run(command)
    text, _, code = out.stdout.rpartition("\n")
    try:
        return int(code or 0), json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return int(code or 0), text


def jaeger_action(name: str, *extra: str):
    return playbook(SCENARIO / "jaeger-action.yml", "-e", f"mach_action={name}", *extra)


def test_runs_as_its_user_with_its_password_private(host):
    assert host.service("jaeger").is_running and host.service("jaeger").is_enabled
    assert host.process.get(comm="jaeger", user="jaeger")
    for port in PORTS:
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    password = host.file("/etc/jaeger/opensearch.password")
    assert (password.user, password.group, password.mode) == ("root", "jaeger", 0o640)
    config = host.file("/etc/jaeger/config.yaml")
    assert (config.user, config.group, config.mode) == ("root", "jaeger", 0o640)
    assert secret("opensearch-jaeger") not in config.content_string
    assert "password_file: /etc/jaeger/opensearch.password" in config.content_string
    retention = host.service("jaeger-retention.timer")
    assert retention.is_enabled and retention.is_running


def test_a_trace_sent_to_one_instance_is_stored_and_found_through_the_other():
    """order calls payment: two spans of one trace, from two services, in one OTLP/HTTP request
    to os-b. os-c's query API returns the whole trace, read from OpenSearch (os-c never saw
    it), and the spans are in the day's jaeger-span index with the role's shards and replicas."""
    trace, parent, spans = two_service_trace("order", "payment", "molecule")
    now = time.time_ns()
    code, _ = https("os-b", 4318, "/v1/traces", json.dumps(spans))
    assert code == 200
    started = time.monotonic()
    services: dict = {}
    # Each span is indexed on its own: the trace may be found before both are searchable.
    while time.monotonic() - started < 60 and set(services) != {"order", "payment"}:
        services = spans_by_service(*https("os-c", 16686, f"/api/traces/{trace}"))
        if set(services) != {"order", "payment"}:
            time.sleep(1)
    took = time.monotonic() - started
    assert set(services) == {"order", "payment"}, f"trace {trace} through os-c after {took:.0f} s"
    (reference,) = services["payment"]["references"]
    assert (reference["refType"], reference["spanID"]) == ("CHILD_OF", parent)
    rest("os-a", "/jaeger-span-*/_refresh", "POST")  # both copies: the count may use either
    code, count = rest("os-a", f"/jaeger-span-*/_count?q=traceID:{trace}")
    assert code == 200 and count["count"] == 2
    day = time.strftime("%Y-%m-%d", time.gmtime(now / 1e9))
    code, settings = rest("os-a", f"/jaeger-span-{day}/_settings")
    index = settings[f"jaeger-span-{day}"]["settings"]["index"]
    assert (index["number_of_shards"], index["number_of_replicas"]) == ("3", "1")
    print(f"\nJaeger: trace sent to os-b, found through os-c after {took:.1f} s")


def test_the_metrics_its_alerts_use_are_exported():
    """On os-b, which received the trace above (a counter appears once spans have passed)."""
    rules = yaml.safe_load(ALERTS.read_text())
    exprs = " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])
    used = set(re.findall(r"\botelcol_\w+", exprs))
    assert used
    exported = node("os-b").check_output("curl -sS -m 10 http://127.0.0.1:8888/metrics")
    names = set(re.findall(r"^(\w+)(?:\{| )", exported, re.M))
    assert used <= names, sorted(used - names)


def test_its_user_reaches_jaegers_indices_only():
    assert rest("os-a", "/jaeger-span-*/_search", user="jaeger")[0] == 200
    assert rest("os-a", "/products-x/_doc/1", "PUT", {"a": 1}, user="jaeger")[0] == 403
    assert rest("os-a", "/_plugins/_security/api/internalusers", user="jaeger")[0] == 403


def test_retention_deletes_the_daily_indices_past_their_days_only():
    """The retention timer's service, started now on os-c (as Jaeger's user): an index dated
    long ago goes; today's, and an index that is not a daily one, stay."""
    retention_deletes_only_past_days("jaeger", "os-c", "jaeger-span-{day}", "jaeger-notes")


def test_check_action_changes_nothing_and_logs_no_password():
    check_changes_nothing(jaeger_action, ["os-b", "os-c"], "opensearch-jaeger")


def test_wrong_input_fails_before_any_change():
    wrong_input_fails_before_any_change(jaeger_action, "jaeger")
