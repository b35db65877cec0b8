"""A cluster's client URLs from the inventory: one per member, at the address it serves on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DOCUMENTATION = r"""
name: member_urls
short_description: One URL per member of a group, at the address and port each member serves on
version_added: 0.6.0
description:
  - For each host of O(_input), C(<scheme>://<host>:<port>) where the host is the member's
    O(host_var) (else its inventory name) and the port its O(port_var) (else O(default_port)).
  - What the clients of a cluster (Jaeger and the log shipper of the search cluster) compute
    from the cluster role's own variables, so that a member moved to another address or port
    is followed by every client.
options:
  _input:
    description: The members' inventory names (C(groups[name])).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  scheme:
    description: URL scheme.
    type: str
    required: true
  host_var:
    description: The member's variable naming the address it serves on.
    type: str
    required: true
  port_var:
    description: The member's variable naming its port.
    type: str
    required: true
  default_port:
    description: The port of a member that does not set O(port_var).
    type: int
    required: true
"""

EXAMPLES = r"""
jaeger_opensearch_urls: >-
  {{ groups['data'] | mach.platform.member_urls(hostvars, 'https', 'opensearch_network_host',
                                                'opensearch_http_port', 9200) }}
"""

RETURN = r"""
_value:
  description: The URLs, in the group's order.
  type: list
  elements: str
"""


def member_urls(
    members: Iterable[str],
    hostvars: Mapping[str, Mapping[str, Any]],
    scheme: str,
    host_var: str,
    port_var: str,
    default_port: int,
) -> list[str]:
    urls = []
    for member in members:
        own = hostvars.get(member, {})
        host = own.get(host_var) or member
        port = int(own.get(port_var) or default_port)
        urls.append(f"{scheme}://{host}:{port}")
    return urls


class FilterModule:
    """mach.platform endpoint filters."""

    def filters(self) -> dict[str, Any]:
        return {"member_urls": member_urls}
