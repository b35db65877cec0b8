"""Kafka ACLs: which of the wanted ALLOW rules a cluster's ACL listing lacks."""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: kafka_acls_missing
short_description: The wanted Kafka ACLs that a cluster's ACL listing lacks, one command each
version_added: 0.5.0
description:
  - Reads the output of C(AclCommand --list) (every resource at once, one JVM start) and
    returns the entries of O(acls) that it does not hold as a literal ALLOW rule for any host.
  - The missing rules are grouped by user and resource, so that one C(AclCommand --add) with
    several C(--operation) options adds each group.
options:
  _input:
    description: The standard output of C(AclCommand --list).
    type: str
    required: true
  acls:
    description: The wanted rules, each C({user, operation, topic}) or C({user, operation, group}).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Missing ACLs are added, one command per user and resource
  ansible.builtin.command:
    argv: >-
      {{ [kafka_admin, 'AclCommand', '--add', '--allow-principal', 'User:' ~ item.user]
         + item.resource + (item.operations | map('regex_replace', '^', '--operation=') | list) }}
  loop: "{{ __listing.stdout | mach.platform.kafka_acls_missing(kafka_acls) }}"
"""

RETURN = r"""
_value:
  description: >-
    One entry per user and resource with missing rules - C(user), C(resource) (the
    AclCommand options naming it, e.g. C([--topic, order.events])) and C(operations).
  type: list
  elements: dict
"""

# AclCommand prints each resource, then its rules, e.g.
#   Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`:
#   	(principal=User:orders, host=*, operation=WRITE, permissionType=ALLOW)
RESOURCE = re.compile(
    r"^Current ACLs for resource `ResourcePattern\(resourceType=(\w+), name=(.*?), "
    r"patternType=(\w+)\)`:"
)
RULE = re.compile(
    r"^\s*\(principal=User:(.*?), host=\*, operation=(\w+), permissionType=ALLOW\)\s*$"
)


def _granted(listing: str) -> set[tuple[str, str, str, str]]:
    """(resource type, name, user, operation) of every literal ALLOW rule for any host."""
    granted: set[tuple[str, str, str, str]] = set()
    resource: tuple[str, str] | None = None
    for line in listing.splitlines():
        head = RESOURCE.match(line)
        if head:
            resource = (head[1], head[2]) if head[3] == "LITERAL" else None
            continue
        rule = RULE.match(line)
        if rule and resource:
            granted.add((*resource, rule[1], rule[2]))
    return granted


def kafka_acls_missing(listing: str, acls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    granted = _granted(listing)
    missing: dict[tuple[str, str, str], list[str]] = {}
    for acl in acls:
        kind, name = ("TOPIC", acl["topic"]) if "topic" in acl else ("GROUP", acl["group"])
        operation = str(acl["operation"]).upper()
        if (kind, name, acl["user"], operation) not in granted:
            operations = missing.setdefault((acl["user"], kind, name), [])
            if operation not in operations:
                operations.append(operation)
    return [
        {"user": user, "resource": [f"--{kind.lower()}", name], "operations": operations}
        for (user, kind, name), operations in missing.items()
    ]


class FilterModule:
    """mach.platform Kafka filters."""

    def filters(self) -> dict[str, Any]:
        return {"kafka_acls_missing": kafka_acls_missing}
