#!/usr/bin/python
"""Manage a Vault (or OpenBao) ACL policy: read, compare, then write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_policy
short_description: Manage a Vault or OpenBao ACL policy
version_added: 0.2.0
description:
  - Creates, updates or deletes one ACL policy. The current policy is read first and written
    only when its rules differ (whitespace at line ends and blank lines at the ends do not
    count), so a second run changes nothing.
  - Fills the gap community.hashi_vault leaves (it has no policy module).
options:
  name:
    description: Policy name. C(root) and C(default) are refused for deletion.
    type: str
    required: true
  policy:
    description: The policy in HCL (or JSON). Required when I(state=present).
    type: str
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: Services read their own KV secrets
  mach.platform.vault_policy:
    url: https://vault.mach.test:8200
    token: "{{ vault_admin_token }}"
    name: svc-catalog
    policy: |
      path "kv/data/services/catalog/*" {
        capabilities = ["read"]
      }

- name: An old policy is gone
  mach.platform.vault_policy:
    name: legacy
    state: absent
"""

RETURN = r"""
name:
  description: The policy's name.
  returned: always
  type: str
  sample: svc-catalog
policy:
  description: The rules now in effect (empty when absent).
  returned: always
  type: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    VaultError,
    connection_spec,
    run_module,
)

PROTECTED = {"root", "default"}


def normalise(rules: str | None) -> str:
    """Rules as compared: trailing spaces and surrounding blank lines do not count."""
    return "\n".join(line.rstrip() for line in (rules or "").strip("\n").splitlines())


def read_policy(client: Any, name: str) -> str | None:
    body = client.sys.list_acl_policies()
    names = body.get("data", body).get("keys", [])
    if name not in names:
        return None
    policy = client.sys.read_acl_policy(name)
    return str(policy.get("data", policy).get("policy", ""))


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    name, state = module.params["name"], module.params["state"]
    wanted = module.params["policy"]
    current = read_policy(client, name)
    result: dict[str, Any] = {"name": name, "changed": False, "policy": current or ""}
    if state == "absent":
        if name in PROTECTED:
            raise VaultError(f"policy {name!r} is built in and cannot be deleted")
        if current is not None:
            result.update(changed=True, policy="")
            result["diff"] = {"before": current, "after": ""}
            if not module.check_mode:
                client.sys.delete_acl_policy(name)
        return result
    if name == "root":
        raise VaultError("policy 'root' is built in and cannot be changed")
    if current is None or normalise(current) != normalise(wanted):
        result.update(changed=True, policy=wanted)
        result["diff"] = {"before": current or "", "after": wanted}
        if not module.check_mode:
            client.sys.create_or_update_acl_policy(name, wanted)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            name={"type": "str", "required": True},
            policy={"type": "str"},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        required_if=[("state", "present", ["policy"])],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
