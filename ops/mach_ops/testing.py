"""Helpers shared by the role scenarios' testinfra tests (roles/*/molecule/*/tests) and the site
test: polling with a deadline instead of a fixed pause, the TLS-only check every HTTPS component
gets, and a two-service trace for Jaeger."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 1.0) -> T:
    """The predicate's first truthy value, polled every `interval` s; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(interval)


def assert_tls_only(
    host: Any, names: Iterable[str], port: int, ca: str, path: str = "/-/ready"
) -> None:
    """Each of `names` answers `path` over HTTPS with a certificate from `ca`, and not over
    plain HTTP (curl run on the testinfra `host`)."""
    for name in names:
        assert host.run(f"curl -sSf -m 8 --cacert {ca} https://{name}:{port}{path}").rc == 0, name
        plain = host.run(
            f"curl -sS -m 8 -o /dev/null -w '%{{http_code}}' http://{name}:{port}{path}"
        )
        assert plain.stdout.strip() != "200", f"{name} answered plaintext HTTP"


def two_service_trace(caller: str, callee: str, scope: str) -> tuple[str, str, dict[str, Any]]:
    """An OTLP/JSON export request holding one trace of two spans: `caller`'s server span and,
    as its child, `callee`'s. Returns the trace id, the caller's span id and the request body."""
    trace, parent, child = secrets.token_hex(16), secrets.token_hex(8), secrets.token_hex(8)
    now = time.time_ns()

    def resource(service: str, span: dict[str, Any]) -> dict[str, Any]:
        attributes = [{"key": "service.name", "value": {"stringValue": service}}]
        return {"resource": {"attributes": attributes},
                "scopeSpans": [{"scope": {"name": scope}, "spans": [span]}]}  # fmt: skip

    spans = [
        resource(caller, {"traceId": trace, "spanId": parent, "name": f"POST /v1/{caller}",
                          "kind": 2, "startTimeUnixNano": str(now),
                          "endTimeUnixNano": str(now + 40_000_000)}),
        resource(callee, {"traceId": trace, "spanId": child, "parentSpanId": parent,
                          "name": f"POST /v1/{callee}", "kind": 2,
                          "startTimeUnixNano": str(now + 5_000_000),
                          "endTimeUnixNano": str(now + 30_000_000)}),
    ]  # fmt: skip
    return trace, parent, {"resourceSpans": spans}


def spans_by_service(code: int, answer: object) -> dict[str, dict[str, Any]]:
    """Jaeger's query API answer for one trace (`/api/traces/<id>`) as {service: span}; empty
    while the trace is not (wholly) found."""
    services: dict[str, dict[str, Any]] = {}
    for found in answer.get("data", []) if code == 200 and isinstance(answer, dict) else []:
        processes = found["processes"]
        services = {processes[s["processID"]]["serviceName"]: s for s in found["spans"]}
    return services
