"""Helpers shared by the role scenarios' testinfra tests (roles/*/molecule/*/tests) and the site
test: polling with a deadline instead of a fixed pause, the TLS-only check every HTTPS component
gets, a two-service trace for Jaeger, and a throwaway OpenSearch node from the bundle's home
(the bundle's test and bench/jvm_startup_bench.py)."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
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


def free_port() -> int:
    """A TCP port on the loopback nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def opensearch_single_node(
    home: Path, node_dir: Path, heap: str, flags: list[str], cluster: str
) -> tuple[list[str], int]:
    """The command that starts OpenSearch from `home` as a single plain-HTTP node (security
    off) with its configuration and data under `node_dir` (which `nobody` must be able to
    reach), as `nobody`, with a `heap` and extra JVM `flags`; and its HTTP port."""
    conf, data = node_dir / "conf", node_dir / "data"
    conf.mkdir()
    data.mkdir()
    http, transport = free_port(), free_port()
    (conf / "opensearch.yml").write_text(
        f"cluster.name: {cluster}\npath.data: {data}\npath.logs: {node_dir}\n"
        f"network.host: 127.0.0.1\nhttp.port: {http}\ntransport.port: {transport}\n"
        "discovery.type: single-node\nplugins.security.disabled: true\n"
    )
    (conf / "jvm.options").write_text("")
    (conf / "log4j2.properties").write_text(
        "appender.console.type = Console\nappender.console.name = console\n"
        "appender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = %d %-5p %c{1.} %m%n\n"
        "rootLogger.level = warn\nrootLogger.appenderRef.console.ref = console\n"
    )
    subprocess.run(["chown", "-R", "nobody:nogroup", str(node_dir)], check=True)
    argv = [
        "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
        "java", f"-Xms{heap}", f"-Xmx{heap}", *flags, "-Djava.security.manager=allow",
        f"-Dopensearch.path.home={home}", f"-Dopensearch.path.conf={conf}",
        "-Dopensearch.distribution.type=tar", "-Dopensearch.bundled_jdk=false",
        "-cp", f"{home}/lib/*", "org.opensearch.bootstrap.OpenSearch",
    ]  # fmt: skip
    return argv, http
