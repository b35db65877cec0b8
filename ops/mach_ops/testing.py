"""Helpers shared by the role scenarios' testinfra tests (roles/*/molecule/*/tests): polling
with a deadline instead of a fixed pause, and the TLS-only check every HTTPS component gets."""

from __future__ import annotations

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
