"""A service's OpenAPI document, prepared for decK's `file openapi2kong` (roles/kong)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: kong_openapi
short_description: A service's OpenAPI document annotated for decK's openapi2kong
version_added: 0.9.0
description:
  - Keeps only the paths under the service's catalogue C(routes) (operations paths such as
    C(/healthz) are never published at the gateway) and fails when a catalogue route has no
    path in the document.
  - Names the upstream's targets as the document's C(servers), so openapi2kong writes one Kong
    upstream per service with a target per application node.
  - The same module provides C(kong_targets), each inventory member by the name the gateway
    resolves (its C(ansible_host), else its inventory name), and C(pem_public_key), a realm's
    public key as Keycloak publishes it (base64 DER) in PEM, and C(kong_kic_split), decK's
    kong2kic output split into the Kong resources and each service's Service annotations.
  - Adds decK's C(x-kong-*) annotations - the service, route and upstream defaults and the
    service's plugins - from I(options), so the gateway's behaviour is one input beside the
    OpenAPI document, never a hand edit of the generated file.
options:
  _input:
    description: The service's OpenAPI document (contracts/openapi/<service>/openapi.json).
    type: dict
    required: true
  service:
    description: The service's catalogue entry (name, port, routes).
    type: dict
    required: true
  targets:
    description: The hosts that run the service (the upstream's targets), as host names or
      addresses; each gets the catalogue port.
    type: list
    elements: str
    required: true
  options:
    description: C(service_defaults), C(route_defaults), C(upstream_defaults) (Kong entity
      fields) and C(plugins) (a list of Kong plugin entities applied to the service).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The cart service's document, ready for openapi2kong
  ansible.builtin.copy:
    content: "{{ spec | mach.platform.kong_openapi(service, groups['app'], options) | to_json }}"
    dest: /tmp/cart.json
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The annotated OpenAPI document.
  type: dict
"""

OPERATIONS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def kong_openapi(
    spec: Mapping[str, Any],
    service: Mapping[str, Any],
    targets: Sequence[str],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    name = service.get("name")
    routes = list(service.get("routes") or [])
    if not name or not routes:
        raise AnsibleFilterError(f"kong_openapi: service {name!r} has no name or no routes")
    if not targets:
        raise AnsibleFilterError(f"kong_openapi: service {name!r} has no upstream targets")
    paths = {
        path: item
        for path, item in (spec.get("paths") or {}).items()
        if any(_under(path, prefix) for prefix in routes)
    }
    missing = [r for r in routes if not any(_under(p, r) for p in paths)]
    if missing:
        raise AnsibleFilterError(
            f"kong_openapi: {name}'s OpenAPI document has no path under {', '.join(missing)}"
        )
    # Plain data (a JSON round trip: copying Ansible's tagged values one by one is slow).
    doc: dict[str, Any] = _plain({key: value for key, value in spec.items() if key != "paths"})
    doc["paths"] = _plain(paths)
    # openapi2kong names entities after x-kong-name and writes one upstream for several servers.
    doc["x-kong-name"] = name
    doc["servers"] = [{"url": f"http://{t}:{service['port']}"} for t in targets]
    for key in ("service", "route", "upstream"):
        defaults = options.get(f"{key}_defaults")
        if defaults:
            doc[f"x-kong-{key}-defaults"] = _plain(defaults)
    for plugin in options.get("plugins") or []:
        doc[f"x-kong-plugin-{plugin['name']}"] = _plain(plugin)
    # An operation's own x-kong annotations would override the platform's; none may exist.
    for path, item in paths.items():
        for method, operation in item.items():
            if method in OPERATIONS and any(k.startswith("x-kong-") for k in operation):
                raise AnsibleFilterError(
                    f"kong_openapi: {name} {method.upper()} {path} carries its own x-kong-"
                    " annotations; the gateway's behaviour is set by roles/kong"
                )
    return doc


def kong_targets(members: Sequence[str], hostvars: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each member by the name the gateway resolves: its ansible_host, else its inventory name."""
    return [str(hostvars.get(m, {}).get("ansible_host") or m) for m in members]


def pem_public_key(der_base64: str) -> str:
    """A public key as Keycloak's realm endpoint gives it (base64 DER) in PEM, as Kong takes it."""
    body = "".join(str(der_base64).split())
    if not body:
        raise AnsibleFilterError("pem_public_key: the realm published no public key")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def kong_kic_split(docs: Sequence[Mapping[str, Any]], services: Sequence[str]) -> dict[str, Any]:
    """decK's `file kong2kic` output for clusters where the services' chart owns their Services:
    the Kong resources (every kind but Service) and, per catalogue service, the annotations
    kong2kic put on its Service (plugins, upstream policy, timeouts), for the chart's
    `service.annotations`. A Service that is not a catalogue service's is an error."""
    resources, annotations = [], {}
    for doc in docs:
        if not doc:
            continue
        if doc.get("kind") == "Service" and doc.get("apiVersion") == "v1":
            name = doc["metadata"]["name"]
            if name not in services:
                raise AnsibleFilterError(f"kong_kic_split: Service {name!r} is not a service")
            annotations[name] = _plain(doc["metadata"].get("annotations") or {})
        else:
            resources.append(_plain(doc))
    missing = sorted(set(services) - set(annotations))
    if missing:
        raise AnsibleFilterError(f"kong_kic_split: no Service for {', '.join(missing)}")
    return {"resources": resources, "annotations": annotations}


class FilterModule:
    """mach.platform gateway filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "kong_openapi": kong_openapi,
            "kong_targets": kong_targets,
            "pem_public_key": pem_public_key,
            "kong_kic_split": kong_kic_split,
        }
