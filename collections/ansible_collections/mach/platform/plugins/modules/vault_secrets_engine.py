#!/usr/bin/python
"""Enable, tune or disable a Vault (or OpenBao) secrets engine: read, compare, then write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_secrets_engine
short_description: Manage a Vault or OpenBao secrets engine mount
version_added: 0.2.0
description:
  - Enables a secrets engine at a path, tunes its description, lease TTLs and options when they
    differ, or disables it. The mounts are read first; a second run changes nothing.
  - A path already mounted with another type is an error, never replaced (that would lose its
    data). Disabling needs I(purge=true), because it deletes every secret in the engine.
options:
  path:
    description: Mount path, e.g. C(kv) or C(pki_int).
    type: str
    required: true
  type:
    description: Engine type. C(kv-v2) is C(kv) with option C(version=2).
    type: str
    choices: [kv-v2, kv, pki, database, transit, totp, ssh]
  description:
    description: Human description of the mount.
    type: str
    default: ""
  config:
    description: C(default_lease_ttl) and C(max_lease_ttl), in seconds or as C(1h), C(768h).
    type: dict
    default: {}
  options:
    description: Engine options (strings), e.g. C(version).
    type: dict
    default: {}
  purge:
    description: Confirms that I(state=absent) may delete the engine and all its data.
    type: bool
    default: false
  state:
    description: Whether the engine is mounted.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: KV v2 for the services' secrets
  mach.platform.vault_secrets_engine:
    path: kv
    type: kv-v2
    description: service secrets

- name: Intermediate PKI, certificates live at most 30 days
  mach.platform.vault_secrets_engine:
    path: pki_int
    type: pki
    config: {max_lease_ttl: 720h}
"""

RETURN = r"""
path:
  description: The mount path, without slashes.
  returned: always
  type: str
  sample: kv
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    connection_spec,
    ensure_mount,
    run_module,
)


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    kind = module.params["type"]
    options = dict(module.params["options"])
    if kind == "kv-v2":
        kind = "kv"
        options.setdefault("version", "2")
    return ensure_mount(module, client, "secrets", kind, options)


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            path={"type": "str", "required": True},
            type={
                "type": "str",
                "choices": ["kv-v2", "kv", "pki", "database", "transit", "totp", "ssh"],
            },
            description={"type": "str", "default": ""},
            config={"type": "dict", "default": {}},
            options={"type": "dict", "default": {}},
            purge={"type": "bool", "default": False},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        required_if=[("state", "present", ["type"])],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
