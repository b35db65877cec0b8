"""Preflight: checks every host before a converge, in parallel, read-only.

One probe command per host gathers what the checks need; the checks are pure functions of
its output and the host's inventory variables, so they are unit-tested without a host.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nornir.core.task import Result, Task

from mach_ops.inventory import CONNECTION

SUPPORTED_OS = {"debian": {"11", "12", "13"}}
MAX_CLOCK_SKEW_S = 1.0
PROBE_TIMEOUT_S = 30.0

# Sections are separated by "@@<name>"; everything here is read-only.
PROBE = r"""
echo @@os; cat /etc/os-release
echo @@mem; awk '/^MemTotal:/ {print $2}' /proc/meminfo
echo @@disk; df -Pk /var | awk 'NR==2 {print $4}'
echo @@hostname; hostname
echo @@addresses; hostname -I 2>/dev/null || true
echo @@resolve; getent ahosts "$(hostname)" | awk '{print $1}' | sort -u
echo @@listen; ss -Hlntu 2>/dev/null
echo @@owners
ss -Hlntup 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | while read -r pid; do
  unit=$(grep -o '[^/]*\.\(service\|scope\)$' /proc/"$pid"/cgroup 2>/dev/null | head -n1)
  echo "$pid $(cat /proc/"$pid"/comm 2>/dev/null) ${unit:--}"
done
echo @@pids; ss -Hlntup 2>/dev/null | awk '{print $1, $5, $7}'
echo @@clock; date +%s.%N
"""


@dataclass
class Probe:
    """What the probe saw on one host."""

    sections: dict[str, list[str]]
    sent_at: float
    received_at: float

    def lines(self, name: str) -> list[str]:
        return self.sections.get(name, [])

    def value(self, name: str, default: str = "") -> str:
        lines = self.lines(name)
        return lines[0].strip() if lines else default


@dataclass(frozen=True)
class Listener:
    proto: str
    port: int
    pid: int | None
    comm: str
    unit: str


@dataclass
class HostReport:
    """Failures of one host, each naming what is wrong and the fix."""

    failures: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def parse_probe(output: str, sent_at: float, received_at: float) -> Probe:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("@@"):
            current = sections.setdefault(line[2:].strip(), [])
        elif current is not None and line.strip():
            current.append(line)
    return Probe(sections, sent_at, received_at)


def _port_of(address: str) -> int | None:
    match = re.search(r":(\d+)$", address)
    return int(match.group(1)) if match else None


def listeners(probe: Probe) -> list[Listener]:
    """Listening sockets with the owning process and systemd unit (where ss could tell)."""
    owners: dict[int, tuple[str, str]] = {}
    for row in probe.lines("owners"):
        parts = row.split()
        if len(parts) >= 3 and parts[0].isdigit():
            owners[int(parts[0])] = (parts[1], parts[2])
    found: dict[tuple[str, int], Listener] = {}
    for row in probe.lines("pids"):
        parts = row.split(maxsplit=2)
        if len(parts) < 2:
            continue
        port = _port_of(parts[1])
        if port is None:
            continue
        match = re.search(r"pid=(\d+)", parts[2] if len(parts) > 2 else "")
        pid = int(match.group(1)) if match else None
        comm, unit = owners.get(pid, ("?", "-")) if pid else ("?", "-")
        found.setdefault((parts[0], port), Listener(parts[0], port, pid, comm, unit))
    if not found:  # ss without -p rights: ports only
        for row in probe.lines("listen"):
            parts = row.split()
            if len(parts) >= 5 and (port := _port_of(parts[4])) is not None:
                found.setdefault((parts[0], port), Listener(parts[0], port, None, "?", "-"))
    return list(found.values())


def _requirements(groups: Iterable[str], hostvars: Mapping[str, Any]) -> tuple[int, int]:
    minimums: Mapping[str, Mapping[str, int]] = hostvars.get("mach_group_minimums", {})
    relevant = [minimums[g] for g in ("all", *groups) if g in minimums]
    memory = max((int(m.get("memory_mb", 0)) for m in relevant), default=0)
    disk = max((int(m.get("disk_gb", 0)) for m in relevant), default=0)
    return memory, disk


def _required_ports(
    groups: Iterable[str], hostvars: Mapping[str, Any]
) -> list[tuple[str, Mapping[str, Any]]]:
    ports: Mapping[str, list[Mapping[str, Any]]] = hostvars.get("mach_group_ports", {})
    return [(g, spec) for g in ("all", *groups) for spec in ports.get(g, [])]


def evaluate(
    name: str,
    groups: list[str],
    hostvars: Mapping[str, Any],
    probe: Probe,
    max_skew: float = MAX_CLOCK_SKEW_S,
) -> HostReport:
    """Apply every check to one host's probe; pure, so unit-tested without a host."""
    report = HostReport()
    fail = report.failures.append

    os_release = dict(
        line.split("=", 1) for line in probe.lines("os") if "=" in line and not line.startswith("#")
    )
    os_id = os_release.get("ID", "").strip('"')
    version = os_release.get("VERSION_ID", "").strip('"')
    report.facts["os"] = f"{os_id} {version}".strip()
    if version not in SUPPORTED_OS.get(os_id, set()):
        supported = ", ".join(f"{k} {'/'.join(sorted(v))}" for k, v in SUPPORTED_OS.items())
        fail(
            f"os: {os_id or '?'} {version or '?'} is not supported ({supported}); "
            "reinstall the node"
        )

    memory_mb_min, disk_gb_min = _requirements(groups, hostvars)
    mem_kb = int(probe.value("mem", "0") or 0)
    report.facts["memory_mb"] = mem_kb // 1024
    if mem_kb // 1024 < memory_mb_min:
        fail(
            f"memory: {mem_kb // 1024} MiB < {memory_mb_min} MiB required by groups "
            f"{', '.join(groups) or 'all'}; add memory or move the host to lighter groups"
        )
    disk_kb = int(probe.value("disk", "0") or 0)
    report.facts["disk_free_gb"] = disk_kb // (1024 * 1024)
    if disk_kb // (1024 * 1024) < disk_gb_min:
        fail(
            f"disk: {disk_kb // (1024 * 1024)} GiB free on /var < {disk_gb_min} GiB required; "
            "grow /var or free space"
        )

    remote = float(probe.value("clock", "0") or 0)
    midpoint = (probe.sent_at + probe.received_at) / 2
    uncertainty = (probe.received_at - probe.sent_at) / 2
    skew = remote - midpoint
    report.facts["clock_skew_s"] = round(skew, 3)
    if abs(skew) > max_skew + uncertainty:
        fail(
            f"clock: {skew:+.2f} s from the controller (max {max_skew} s); "
            "fix time sync (chrony) before converging quorum systems"
        )

    expected = str(hostvars.get("mach_hostname", name)).split(".")[0]
    actual = probe.value("hostname")
    if actual.split(".")[0] != expected:
        fail(
            f"hostname: node calls itself {actual!r}, inventory says {expected!r}; set the hostname"
        )
    addresses = set(probe.value("addresses").split())
    resolved = set(probe.lines("resolve"))
    if not resolved:
        fail(f"dns: {actual!r} does not resolve on the node; add it to DNS or /etc/hosts")
    elif addresses and not resolved & (addresses | {"127.0.1.1", "127.0.0.1", "::1"}):
        fail(
            f"dns: {actual!r} resolves to {', '.join(sorted(resolved))}, not to the node's "
            f"addresses ({', '.join(sorted(addresses))}); fix the DNS record"
        )

    held = listeners(probe)
    for group, spec in _required_ports(groups, hostvars):
        port, proto, unit = int(spec["port"]), str(spec.get("proto", "tcp")), str(spec["unit"])
        for sock in held:
            if sock.port != port or sock.proto != proto:
                continue
            if sock.unit in (f"{unit}.service", unit):
                continue
            owner = f"{sock.comm} (pid {sock.pid}, {sock.unit})" if sock.pid else "another process"
            fail(
                f"port {port}/{proto}: held by {owner}, but group {group} needs it for {unit}; "
                "stop that process or move the service"
            )
            break
    return report


def preflight(task: Task, max_skew: float = MAX_CLOCK_SKEW_S) -> Result:
    """Nornir task: probe the host and evaluate every check. Read-only; dry-run safe."""
    host = task.host
    runner = host.get_connection(CONNECTION, task.nornir.config)
    sent = time.time()
    out = runner.run(PROBE, timeout=PROBE_TIMEOUT_S)
    received = time.time()
    probe = parse_probe(out.stdout, sent, received)
    report = evaluate(host.name, [g.name for g in host.groups], host.data, probe, max_skew)
    return Result(
        host=host,
        result=report,
        failed=bool(report.failures),
        changed=False,
    )
