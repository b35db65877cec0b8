#!/usr/bin/python
"""Manage a role of a Vault (or OpenBao) PKI mount: read, compare, then write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_pki_role
short_description: Manage a Vault or OpenBao PKI role
version_added: 0.2.0
description:
  - A PKI role says which certificates a mount may issue (names, TTLs, key types). The role
    is read first and written only when a given setting differs; settings not given keep the
    server's values. TTLs compare in seconds (C(72h) equals C(259200)).
options:
  mount:
    description: The PKI mount, e.g. C(pki_int).
    type: str
    required: true
  name:
    description: Role name.
    type: str
    required: true
  settings:
    description:
      - Role parameters as the PKI API names them, e.g. C(allowed_domains), C(allow_subdomains),
        C(allow_bare_domains), C(max_ttl), C(ttl), C(key_type), C(key_bits), C(server_flag),
        C(client_flag), C(allow_ip_sans).
    type: dict
    default: {}
  state:
    description: Whether the role exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: Nodes' server certificates under the platform domain
  mach.platform.vault_pki_role:
    mount: pki_int
    name: node
    settings:
      allowed_domains: [mach.example]
      allow_subdomains: true
      max_ttl: 720h
      key_type: ec
      key_bits: 256
      server_flag: true
      client_flag: true
"""

RETURN = r"""
settings:
  description: The role's settings after the run (as the server reports them).
  returned: when present
  type: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    comparable_setting,
    connection_spec,
    listed,
    run_module,
)

TTL_KEYS = {"ttl", "max_ttl", "not_before_duration"}


def comparable(key: str, value: Any) -> Any:
    """A setting as compared: TTLs in seconds, name lists sorted (a comma string or a list)."""
    name_list = key.startswith("allowed_") or key.endswith("_sans")
    return comparable_setting(value, duration=key in TTL_KEYS, name_list=name_list)


def read_role(client: Any, mount: str, name: str) -> dict[str, Any] | None:
    if name not in listed(client, f"{mount}/roles"):
        return None
    return dict(client.secrets.pki.read_role(name, mount_point=mount)["data"])


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    mount, name = module.params["mount"].strip("/"), module.params["name"]
    wanted = module.params["settings"]
    current = read_role(client, mount, name)
    if module.params["state"] == "absent":
        if current is None:
            return {"changed": False}
        if not module.check_mode:
            client.secrets.pki.delete_role(name, mount_point=mount)
        return {"changed": True, "diff": {"before": current, "after": {}}}
    before = {k: comparable(k, (current or {}).get(k)) for k in wanted if current is not None}
    after = {k: comparable(k, v) for k, v in wanted.items()}
    if current is not None and before == after:
        return {"changed": False, "settings": current}
    if not module.check_mode:
        client.secrets.pki.create_or_update_role(name, extra_params=wanted, mount_point=mount)
        current = read_role(client, mount, name)
    return {
        "changed": True,
        "settings": current or wanted,
        "diff": {"before": before, "after": after},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            mount={"type": "str", "required": True},
            name={"type": "str", "required": True},
            settings={"type": "dict", "default": {}},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
