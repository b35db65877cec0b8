#!/usr/bin/python
"""Manage a connection of a Vault (or OpenBao) database secrets engine: read, compare, write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_database_connection
short_description: Manage a database connection of a Vault or OpenBao database secrets engine
version_added: 0.4.0
description:
  - A connection tells the database secrets engine how to reach a database server as its
    admin user, and which roles (M(mach.platform.vault_database_role)) may use it.
  - The connection is read first and written only when a setting differs. Vault never returns
    the password, so it is sent when the connection is created and, with
    O(update_password=always), on every run; with the default C(on_create) a later run keeps
    the password Vault holds.
  - With O(rotate_root=true) Vault replaces the admin password right after creating the
    connection, so from then on only Vault knows it (the bootstrap password is spent).
  - Vault verifies the connection before it stores it, so a wrong address or password fails
    the task and writes nothing.
options:
  mount:
    description: The database secrets engine's path.
    type: str
    default: database
  name:
    description:
      - Connection name, which roles give as
        O(mach.platform.vault_database_role#module:db_name).
    type: str
    required: true
  plugin_name:
    description: The database plugin.
    type: str
    default: postgresql-database-plugin
  connection_url:
    description:
      - The plugin's connection string with C({{username}}) and C({{password}}) templates, e.g.
        C(postgresql://{{username}}:{{password}}@db1:5432,db2:5432/postgres?target_session_attrs=read-write&sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem).
      - File paths in it are read on the Vault server.
    type: str
  username:
    description: The admin user Vault connects as (it must be able to create roles).
    type: str
  password:
    description: The admin user's password; see O(update_password).
    type: str
  update_password:
    description:
      - C(on_create) sends O(password) only when the connection is created; C(always) sends it
        on every run (which rewrites the connection, so the task reports a change).
    type: str
    choices: [on_create, always]
    default: on_create
  rotate_root:
    description:
      - Rotate the admin password inside Vault right after the connection is created. Needs
        O(update_password=on_create).
    type: bool
    default: false
  allowed_roles:
    description: Roles that may use this connection (C(*) for any).
    type: list
    elements: str
    default: []
  verify_connection:
    description: Let Vault connect once before it stores the connection.
    type: bool
    default: true
  settings:
    description:
      - Further plugin settings compared and written as given, e.g.
        C(password_authentication) (C(scram-sha-256)), C(max_open_connections),
        C(username_template).
    type: dict
    default: {}
  state:
    description: Whether the connection exists.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: community.hashi_vault.vault_database_connection_configure
    description: >-
      Writes on every run and always reports a change (and resends the password, which undoes
      a root rotation); this module reads and compares first.
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: The PostgreSQL cluster, reached at its leader over verified TLS
  mach.platform.vault_database_connection:
    name: postgresql
    connection_url: "{{ __login }}@10.0.1.11:5432,10.0.2.11:5432/postgres?{{ __tls }}"
    username: vault
    password: "{{ __postgresql_secret.secret.vault }}"  # from mach.platform.vault_generated_secret
    rotate_root: true
    allowed_roles: [catalog, order]
    settings:
      password_authentication: scram-sha-256
  vars:
    __login: "postgresql://{{ '{{username}}:{{password}}' }}"
    __tls: target_session_attrs=read-write&sslmode=verify-full&sslrootcert=/etc/mach/pki/ca.pem
"""

RETURN = r"""
connection:
  description: The connection as Vault reports it after the run (never a password).
  returned: when present
  type: dict
rotated:
  description: Whether this run rotated the admin password.
  returned: always
  type: bool
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    VaultError,
    connection_spec,
    read_listed,
    require_mount,
    run_module,
)


def comparable(connection: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """What the module compares: everything Vault returns that a parameter sets."""
    details = connection.get("connection_details") or {}
    return {
        "plugin_name": connection.get("plugin_name"),
        "connection_url": details.get("connection_url"),
        "username": details.get("username"),
        "allowed_roles": sorted(connection.get("allowed_roles") or []),
        **{f"settings.{k}": _text(details.get(k)) for k in settings},
    }


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    p = module.params
    mount, name = p["mount"].strip("/"), p["name"]
    require_mount(client, mount, "database")
    current = read_listed(client, f"{mount}/config", name)
    if p["state"] == "absent":
        if current is None:
            return {"changed": False, "rotated": False}
        if not module.check_mode:
            client.delete(f"{mount}/config/{name}")
        return {"changed": True, "rotated": False, "diff": {"before": current, "after": {}}}

    always = p["update_password"] == "always"  # noqa: S105 - a choice, not a password
    if p["rotate_root"] and always:
        raise VaultError(
            "rotate_root=true and update_password=always contradict each other: after the "
            "rotation only Vault knows the password; use update_password=on_create"
        )
    wanted = {
        "plugin_name": p["plugin_name"],
        "connection_url": p["connection_url"],
        "username": p["username"],
        "allowed_roles": sorted(p["allowed_roles"]),
        **{f"settings.{k}": _text(v) for k, v in p["settings"].items()},
    }
    before = comparable(current, p["settings"]) if current is not None else {}
    send_password = current is None or always
    if current is not None and before == wanted and not send_password:
        return {"changed": False, "rotated": False, "connection": current}
    if current is None and not p["password"]:
        raise VaultError(f"connection {name!r} does not exist yet: give its admin password")
    rotated = current is None and p["rotate_root"]
    if not module.check_mode:
        body = {
            "plugin_name": p["plugin_name"],
            "connection_url": p["connection_url"],
            "username": p["username"],
            "allowed_roles": p["allowed_roles"],
            "verify_connection": p["verify_connection"],
            **p["settings"],
        }
        if send_password:
            body["password"] = p["password"]
        client.write_data(f"{mount}/config/{name}", data=body)
        if rotated:
            client.write_data(f"{mount}/rotate-root/{name}", data={})
        current = read_listed(client, f"{mount}/config", name)
    return {
        "changed": True,
        "rotated": rotated,
        "connection": current or {},
        "diff": {"before": before, "after": wanted},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            mount={"type": "str", "default": "database"},
            name={"type": "str", "required": True},
            plugin_name={"type": "str", "default": "postgresql-database-plugin"},
            connection_url={"type": "str"},
            username={"type": "str"},
            password={"type": "str", "no_log": True},
            update_password={
                "type": "str",
                "choices": ["on_create", "always"],
                "default": "on_create",
                "no_log": False,
            },
            rotate_root={"type": "bool", "default": False},
            allowed_roles={"type": "list", "elements": "str", "default": []},
            verify_connection={"type": "bool", "default": True},
            settings={"type": "dict", "default": {}},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        required_if=[("state", "present", ["connection_url", "username"])],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
