"""Client-side helpers the Molecule verifiers and the fleet's site test and drills share:
Kafka's tools run on a node with a SCRAM client config, and Patroni's view of its cluster.
Each takes a testinfra host (a Molecule node or a fleet container)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PATRONI_CA = "/etc/patroni/tls/ca.crt"
# The role's launcher of org.apache.kafka.tools.<Tool> (a JVM set up for short runs).
KAFKA_TOOL = "/usr/local/sbin/kafka-tool"


def kafka_client_config(host: Any, user: str, password: str, path: str = "") -> str:
    """A SASL_SSL (SCRAM-SHA-512) client config for `user`, the node's CA file verifying the
    brokers, written with mode 0600 to `path` (by default ~root/.kafka-client-<user>.properties)
    on the node; the caller removes it."""
    path = path or f"/root/.kafka-client-{user}.properties"
    content = (
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{password}";\n'
        "ssl.truststore.type=PEM\nssl.truststore.location=/etc/kafka/tls/ca.crt\n"
    )
    host.run(f"umask 077; cat > {path} <<'EOF'\n{content}EOF")
    return path


def kafka_tool(host: Any, cls: str, args: str, timeout: int = 120) -> Any:
    """A Kafka tool (org.apache.kafka.tools.<cls>) from the node's own jar set."""
    return host.run(f"timeout {timeout} {KAFKA_TOOL} {cls} {args}")


def patroni_members(host: Any) -> dict[str, tuple[str, str]]:
    """{member: (role, state)} as the node's Patroni reports it; {} while it cannot answer."""
    out = host.run(f"curl -sS -m 3 --cacert {PATRONI_CA} https://localhost:8008/cluster")
    if out.rc != 0:
        return {}
    return {m["name"]: (m["role"], m["state"]) for m in json.loads(out.stdout)["members"]}


def new_patroni_leader(host: Any, old: str, limit: float = 60) -> tuple[str, float]:
    """Polls the node's Patroni until a member other than `old` leads and runs; returns it and
    the seconds it took (`old` again if none did within `limit`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        leaders = [
            name
            for name, (role, state) in patroni_members(host).items()
            if role == "leader" and state == "running" and name != old
        ]
        if leaders:
            return leaders[0], time.monotonic() - started
    return old, time.monotonic() - started


@contextmanager
def frozen_node(name: str) -> Iterator[float]:
    """The container `name` frozen (docker pause: no process runs, no packet is answered)
    for the block, which gets the time it froze; thawed afterwards whatever happens."""
    import docker

    container = docker.from_env().containers.get(name)
    container.pause()
    try:
        yield time.time()
    finally:
        container.unpause()
