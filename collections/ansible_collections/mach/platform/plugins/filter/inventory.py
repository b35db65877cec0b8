"""Inventory validation for the MACH platform (used by site.yml's first play)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

DOCUMENTATION = r"""
name: inventory_problems
short_description: List what is wrong with a MACH inventory, one message per problem
version_added: 0.1.0
description:
  - Checks zones, quorum groups, required variables, group names and port clashes of an
    inventory without touching any host.
  - Every message names the host or group at fault and how to fix it.
options:
  _input:
    description: C(hostvars) (or a mapping of host name to its variables).
    type: dict
    required: true
  groups:
    description: The C(groups) magic variable (group name to host names).
    type: dict
    required: true
  rules:
    description:
      - The platform's rules; keys C(zones), C(node_groups), C(quorum_groups),
        C(required_vars), C(required_host_vars), C(group_ports).
      - Default, read from the inventory itself (the first host's C(mach_zones),
        C(mach_node_groups), C(mach_quorum_groups), C(mach_required_vars),
        C(mach_required_host_vars), C(mach_group_ports)).
    type: dict
    required: false
"""

EXAMPLES = r"""
- name: Fail on any inventory problem
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems }}"
  vars:
    __problems: "{{ hostvars | mach.platform.inventory_problems(groups) }}"
"""

RETURN = r"""
_value:
  description: Problems found, empty when the inventory is valid.
  type: list
  elements: str
"""

# Groups Ansible always has, which are not node groups.
_IMPLICIT_GROUPS = frozenset({"all", "ungrouped"})

# Rule name -> (the inventory variable, its empty value); the variables are declared in
# inventories/shared/group_vars/all/00-platform.yml.
RULE_VARS: dict[str, tuple[str, type]] = {
    "zones": ("mach_zones", list),
    "node_groups": ("mach_node_groups", list),
    "quorum_groups": ("mach_quorum_groups", list),
    "required_vars": ("mach_required_vars", list),
    "required_host_vars": ("mach_required_host_vars", list),
    "group_ports": ("mach_group_ports", dict),
}


def rules_from_vars(hostvars: Mapping[str, Any]) -> dict[str, Any]:
    """The rules as the inventory declares them (group_vars/all, so any host has them)."""
    return {rule: hostvars.get(var) or empty() for rule, (var, empty) in RULE_VARS.items()}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def check_inventory(
    hosts: Mapping[str, Mapping[str, Any]],
    groups: Mapping[str, Iterable[str]],
    rules: Mapping[str, Any],
) -> list[str]:
    """Return one message per problem; an empty list means the inventory is valid."""
    problems: list[str] = []
    zones: list[str] = list(rules.get("zones", []))
    node_groups = set(rules.get("node_groups", []))
    members = {g: sorted(set(hs)) for g, hs in groups.items() if g not in _IMPLICIT_GROUPS}

    for name in sorted(hosts):
        hostvars = hosts[name]
        for var in rules.get("required_host_vars", []):
            if _missing(hostvars.get(var)):
                problems.append(
                    f"host {name}: {var} is not set; set it in hosts.yml"
                    + (f" (one of {', '.join(zones)})" if var == "mach_zone" and zones else "")
                )
        zone = hostvars.get("mach_zone")
        if not _missing(zone) and zones and zone not in zones:
            problems.append(
                f"host {name}: mach_zone '{zone}' is not one of mach_zones "
                f"({', '.join(zones)}); fix the host's mach_zone or add the zone to mach_zones"
            )

    # Variables every environment must set; checked on one host (they live in group_vars/all).
    if hosts:
        first = hosts[sorted(hosts)[0]]
        for var in rules.get("required_vars", []):
            if _missing(first.get(var)):
                problems.append(
                    f"{var} is not set; set it in the inventory's group_vars/all/99-env.yml"
                )

    used_zones = {hosts[h].get("mach_zone") for h in hosts}
    for zone in zones:
        if zone not in used_zones:
            problems.append(
                f"zone {zone} has no hosts; put hosts in it (mach_zone: {zone}) "
                "or remove it from mach_zones"
            )

    for group in sorted(members):
        if node_groups and group not in node_groups:
            problems.append(
                f"group {group} (hosts {', '.join(members[group])}) is not a node group; "
                f"use one of {', '.join(sorted(node_groups))}"
            )

    for group in rules.get("quorum_groups", []):
        hs = members.get(group, [])
        if not hs:
            continue
        if len(hs) % 2 == 0:
            problems.append(
                f"quorum group {group} has {len(hs)} members ({', '.join(hs)}); "
                f"use an odd number (e.g. {len(hs) + 1} or {len(hs) - 1}), one per zone"
            )
        if len(hs) > 1:
            per_zone: dict[str, list[str]] = defaultdict(list)
            for h in hs:
                per_zone[str(hosts.get(h, {}).get("mach_zone"))].append(h)
            for zone, in_zone in sorted(per_zone.items()):
                if 2 * len(in_zone) >= len(hs):
                    problems.append(
                        f"quorum group {group}: {len(in_zone)} of {len(hs)} members "
                        f"({', '.join(in_zone)}) are in {zone}; losing that zone loses quorum. "
                        "Spread the members across zones"
                    )

    group_ports: Mapping[str, list[Mapping[str, Any]]] = rules.get("group_ports", {})
    for name in sorted(hosts):
        host_groups = ["all"] + [g for g in sorted(members) if name in members[g]]
        claims: Counter[tuple[int, str]] = Counter()
        owners: dict[tuple[int, str], list[str]] = defaultdict(list)
        for group in host_groups:
            for spec in group_ports.get(group, []):
                key = (int(spec["port"]), str(spec.get("proto", "tcp")))
                if group not in owners[key]:
                    claims[key] += 1
                    owners[key].append(group)
        for (port, proto), count in sorted(claims.items()):
            if count > 1:
                problems.append(
                    f"host {name}: port {port}/{proto} is claimed by groups "
                    f"{' and '.join(owners[(port, proto)])}; move the host out of one group "
                    "or change one service's port in mach_group_ports"
                )
    return problems


def inventory_problems(
    hostvars: Mapping[str, Mapping[str, Any]],
    groups: Mapping[str, Iterable[str]],
    rules: Mapping[str, Any] | None = None,
) -> list[str]:
    """Filter entry point: accepts Ansible's lazy hostvars and reads only what it needs."""
    names = list(groups.get("all", hostvars.keys()))
    if rules is None:
        rules = rules_from_vars(hostvars[names[0]]) if names else {}
    wanted = {"mach_zone", *rules.get("required_vars", []), *rules.get("required_host_vars", [])}
    hosts = {name: {var: hostvars[name].get(var) for var in wanted} for name in names}
    return check_inventory(hosts, groups, rules)


class FilterModule:
    """mach.platform inventory filters."""

    def filters(self) -> dict[str, Any]:
        return {"inventory_problems": inventory_problems}
