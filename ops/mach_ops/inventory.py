"""Nornir inventory read only through `ansible-inventory --list` (one parser for all tooling).

Ansible resolves group_vars, host_vars and vault for us; this module only maps its JSON onto
Nornir's inventory. A host's Nornir groups are every group it belongs to, directly or through
child groups, flattened (Nornir then needs no group hierarchy).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nornir.core.inventory import (
    ConnectionOptions,
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)

CONNECTION = "mach_exec"
_META_GROUPS = frozenset({"_meta", "all", "ungrouped"})


class InventoryError(RuntimeError):
    """ansible-inventory failed or returned something unusable."""


def ansible_inventory_json(source: str | Path) -> dict[str, Any]:
    """Run `ansible-inventory -i SOURCE --list` and return its JSON."""
    exe = Path(sys.executable).with_name("ansible-inventory")
    cmd = str(exe) if exe.exists() else shutil.which("ansible-inventory")
    if cmd is None:
        raise InventoryError("ansible-inventory not found; run `make setup`")
    proc = subprocess.run(
        [cmd, "-i", str(source), "--list"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise InventoryError(f"ansible-inventory -i {source} failed: {proc.stderr.strip()}")
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def group_members(data: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every group's hosts, including those of its child groups."""
    memo: dict[str, set[str]] = {}

    def members(name: str, seen: frozenset[str]) -> set[str]:
        if name in memo:
            return memo[name]
        node = data.get(name, {})
        hosts = set(node.get("hosts", []))
        for child in node.get("children", []):
            if child not in seen:
                hosts |= members(child, seen | {child})
        memo[name] = hosts
        return hosts

    return {g: members(g, frozenset({g})) for g in data if g not in _META_GROUPS}


def transport_options(hostvars: Mapping[str, Any]) -> ConnectionOptions:
    """How the mach_exec connection reaches a host, from its Ansible connection variables."""
    connection = str(hostvars.get("ansible_connection", "ssh")).rsplit(".", 1)[-1]
    if connection in ("docker", "docker_api"):
        transport = "docker"
    elif connection == "local":
        transport = "local"
    elif connection in ("ssh", "paramiko", "smart"):
        transport = "ssh"
    else:
        raise InventoryError(f"ansible_connection {connection!r} is not supported by mach tools")
    extras = {
        "transport": transport,
        "docker_host": hostvars.get("ansible_docker_docker_host"),
        "become": bool(hostvars.get("ansible_become", False)),
        "ssh_args": hostvars.get("ansible_ssh_common_args", ""),
    }
    return ConnectionOptions(
        hostname=hostvars.get("ansible_docker_host") or hostvars.get("ansible_host"),
        username=hostvars.get("ansible_user"),
        port=hostvars.get("ansible_port"),
        extras=extras,
    )


def build_inventory(data: Mapping[str, Any]) -> Inventory:
    """Map ansible-inventory JSON onto a Nornir Inventory."""
    hostvars: Mapping[str, Mapping[str, Any]] = data.get("_meta", {}).get("hostvars", {})
    membership = group_members(data)
    groups = Groups({name: Group(name=name) for name in sorted(membership)})
    hosts = Hosts()
    for name in sorted(set(hostvars) | set().union(*membership.values())):
        hv = dict(hostvars.get(name, {}))
        options = transport_options(hv)
        hosts[name] = Host(
            name=name,
            hostname=options.hostname or name,
            username=options.username,
            port=options.port,
            groups=ParentGroups(groups[g] for g in sorted(membership) if name in membership[g]),
            data=hv,
            connection_options={CONNECTION: options},
        )
    return Inventory(hosts=hosts, groups=groups, defaults=Defaults())


class AnsibleInventory:
    """Nornir inventory plugin: `{"plugin": "AnsibleInventory", "options": {"source": ...}}`."""

    def __init__(self, source: str | Path) -> None:
        self.source = source

    def load(self) -> Inventory:
        return build_inventory(ansible_inventory_json(self.source))
