#!/usr/bin/python
"""Manage a dynamic role of a Vault (or OpenBao) database secrets engine."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_database_role
short_description: Manage a dynamic-credentials role of a Vault or OpenBao database engine
version_added: 0.4.0
description:
  - A role turns a read of C(<mount>/creds/<name>) into a new database user with a lease.
    Vault runs O(creation_statements) with its C(name), C(password) and C(expiration)
    placeholders filled in, and O(revocation_statements) when the lease ends.
  - The role is read first and written only when a setting differs; TTLs compare in seconds.
  - The connection it names must exist and allow the role, so a role is never written that
    could not issue credentials.
options:
  mount:
    description: The database secrets engine's path.
    type: str
    default: database
  name:
    description: Role name (the path credentials are read from).
    type: str
    required: true
  db_name:
    description: The connection (M(mach.platform.vault_database_connection)) the role uses.
    type: str
  creation_statements:
    description: SQL run to create a user, in order.
    type: list
    elements: str
  revocation_statements:
    description: SQL run when a lease ends (the plugin's default when empty).
    type: list
    elements: str
    default: []
  renew_statements:
    description: SQL run when a lease is renewed.
    type: list
    elements: str
    default: []
  rollback_statements:
    description: SQL run to undo a failed creation.
    type: list
    elements: str
    default: []
  default_ttl:
    description: Lease duration when none is asked for (seconds or C(1h)-style).
    type: str
    default: "1h"
  max_ttl:
    description: Longest a lease can be renewed to.
    type: str
    default: "24h"
  state:
    description: Whether the role exists.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: community.hashi_vault.vault_database_role_create
    description: >-
      Writes on every run and always reports a change (and resends the password, which undoes
      a root rotation); this module reads and compares first.
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: Short-lived logins for the catalog service, acting as its database's owner role
  mach.platform.vault_database_role:
    name: catalog
    db_name: postgresql
    creation_statements:
      - >-
        CREATE ROLE "{{ '{{name}}' }}" LOGIN PASSWORD '{{ '{{password}}' }}'
        VALID UNTIL '{{ '{{expiration}}' }}' IN ROLE "catalog"
      - ALTER ROLE "{{ '{{name}}' }}" SET role = 'catalog'
    revocation_statements:
      - DROP ROLE IF EXISTS "{{ '{{name}}' }}"
    default_ttl: 1h
    max_ttl: 24h
"""

RETURN = r"""
role:
  description: The role as Vault reports it after the run.
  returned: when present
  type: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    VaultError,
    connection_spec,
    listed,
    read_listed,
    require_mount,
    run_module,
    seconds,
)

STATEMENTS = (
    "creation_statements",
    "revocation_statements",
    "renew_statements",
    "rollback_statements",
)


def comparable(role: dict[str, Any]) -> dict[str, Any]:
    return {
        "db_name": role.get("db_name"),
        **{k: [s.strip() for s in role.get(k) or []] for k in STATEMENTS},
        "default_ttl": seconds(role.get("default_ttl") or 0),
        "max_ttl": seconds(role.get("max_ttl") or 0),
    }


def check_connection(
    module: AnsibleModule, client: Any, mount: str, role: str, db_name: str
) -> None:
    """The connection exists and lets this role use it: else no role is written. (In check mode
    a connection that an earlier task would create is only warned about.)"""
    if db_name not in listed(client, f"{mount}/config"):
        if module.check_mode:
            module.warn(f"connection {db_name!r} does not exist yet (check mode)")
            return
        raise VaultError(
            f"role {role!r} names connection {db_name!r}, which {mount!r} does not have: "
            "create it first (mach.platform.vault_database_connection)"
        )
    allowed = client.read(f"{mount}/config/{db_name}")["data"].get("allowed_roles") or []
    if "*" not in allowed and role not in allowed:
        raise VaultError(
            f"connection {db_name!r} does not allow role {role!r} (allowed_roles: "
            f"{sorted(allowed)}): add it there first"
        )


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    p = module.params
    mount, name = p["mount"].strip("/"), p["name"]
    require_mount(client, mount, "database")
    current = read_listed(client, f"{mount}/roles", name)
    if p["state"] == "absent":
        if current is None:
            return {"changed": False}
        if not module.check_mode:
            client.delete(f"{mount}/roles/{name}")
        return {"changed": True, "diff": {"before": comparable(current), "after": {}}}

    wanted = comparable({k: p[k] for k in ("db_name", *STATEMENTS, "default_ttl", "max_ttl")})
    before = comparable(current) if current is not None else {}
    if before == wanted:
        return {"changed": False, "role": current}
    check_connection(module, client, mount, name, p["db_name"])
    if not module.check_mode:
        client.write_data(
            f"{mount}/roles/{name}",
            data={**wanted, **{k: p[k] for k in STATEMENTS}},
        )
        current = read_listed(client, f"{mount}/roles", name)
    return {"changed": True, "role": current or {}, "diff": {"before": before, "after": wanted}}


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            mount={"type": "str", "default": "database"},
            name={"type": "str", "required": True},
            db_name={"type": "str"},
            creation_statements={"type": "list", "elements": "str"},
            revocation_statements={"type": "list", "elements": "str", "default": []},
            renew_statements={"type": "list", "elements": "str", "default": []},
            rollback_statements={"type": "list", "elements": "str", "default": []},
            default_ttl={"type": "str", "default": "1h"},
            max_ttl={"type": "str", "default": "24h"},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        required_if=[("state", "present", ["db_name", "creation_statements"])],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
