#!/usr/bin/python
"""Keys of a KV v2 secret that Vault keeps: generated once, then only read."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_generated_secret
short_description: Generate the missing keys of a Vault KV v2 secret once, and return the secret
version_added: 0.4.0
description:
  - The platform's own passwords (a database superuser, replication, an API user) live in Vault,
    not in the inventory. This module reads the secret at O(path); each key of O(keys) that it
    lacks gets a random value, written with check-and-set so that two runs at once cannot
    overwrite each other; keys already there are never changed.
  - Returns the whole secret, so the task that calls it must set C(no_log=true).
  - In check mode nothing is written; missing keys are returned empty.
options:
  mount:
    description: The KV v2 mount.
    type: str
    default: secret
  path:
    description: The secret's path inside the mount, e.g. C(platform/postgresql).
    type: str
    required: true
  keys:
    description: The keys the secret must hold.
    type: list
    elements: str
    required: true
  length:
    description: Length of each generated value (letters and digits).
    type: int
    default: 32
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: PostgreSQL's built-in users' passwords, from Vault (generated there the first time)
  mach.platform.vault_generated_secret:
    path: platform/postgresql
    keys: [superuser, replication, rewind, patroni_api]
  delegate_to: localhost
  run_once: true
  no_log: true
  register: __postgresql_secret
"""

RETURN = r"""
secret:
  description: The secret's keys and values after the run.
  returned: always
  type: dict
generated:
  description: The keys this run generated (names only).
  returned: always
  type: list
  elements: str
"""

import secrets
import string
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    InvalidPath,
    VaultError,
    connection_spec,
    require_mount,
    run_module,
)

ALPHABET = string.ascii_letters + string.digits


def read_secret(client: Any, mount: str, path: str) -> tuple[dict[str, Any], int]:
    """The secret's data and its current version (0 when it never existed)."""
    kv = client.secrets.kv.v2
    try:
        body = kv.read_secret_version(path=path, mount_point=mount, raise_on_deleted_version=True)
        return dict(body["data"]["data"] or {}), int(body["data"]["metadata"]["version"])
    except InvalidPath:  # never written, or its latest version deleted
        pass
    try:
        return {}, int(
            kv.read_secret_metadata(path=path, mount_point=mount)["data"]["current_version"]
        )
    except InvalidPath:
        return {}, 0


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    p = module.params
    mount, path = p["mount"].strip("/"), p["path"].strip("/")
    if p["length"] < 16:
        raise VaultError(f"length {p['length']} is too short for a password: use 16 or more")
    require_mount(client, mount, "kv-v2")
    current, version = read_secret(client, mount, path)
    missing = [k for k in p["keys"] if not current.get(k)]
    if not missing:
        return {"changed": False, "secret": current, "generated": []}
    if module.check_mode:
        secret = {**current, **dict.fromkeys(missing, "")}
        return {"changed": True, "secret": secret, "generated": missing}
    made = {k: "".join(secrets.choice(ALPHABET) for _ in range(p["length"])) for k in missing}
    client.secrets.kv.v2.create_or_update_secret(
        path=path, secret={**current, **made}, cas=version, mount_point=mount
    )
    return {"changed": True, "secret": {**current, **made}, "generated": missing}


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            mount={"type": "str", "default": "secret"},
            path={"type": "str", "required": True},
            keys={"type": "list", "elements": "str", "required": True, "no_log": False},
            length={"type": "int", "default": 32},
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
