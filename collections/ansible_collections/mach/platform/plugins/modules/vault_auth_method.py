#!/usr/bin/python
"""Enable, tune or disable a Vault (or OpenBao) auth method: read, compare, then write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_auth_method
short_description: Manage a Vault or OpenBao auth method mount
version_added: 0.2.0
description:
  - Enables an auth method at a path, tunes its description and token TTLs when they differ,
    or disables it. The mounts are read first; a second run changes nothing.
  - A path already mounted with another type is an error, never replaced.
  - Configuring the method itself (an OIDC discovery URL, AppRole roles, Kubernetes host) is
    done with the method's own endpoints after it is enabled.
options:
  path:
    description: Mount path under C(auth/), e.g. C(approle) or C(oidc).
    type: str
    required: true
  type:
    description: Method type.
    type: str
    choices: [approle, kubernetes, oidc, jwt, userpass, cert]
  description:
    description: Human description of the mount.
    type: str
    default: ""
  config:
    description: C(default_lease_ttl) and C(max_lease_ttl) of issued tokens.
    type: dict
    default: {}
  state:
    description: Whether the method is enabled.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: Services log in with AppRole
  mach.platform.vault_auth_method:
    path: approle
    type: approle
    config: {default_lease_ttl: 1h, max_lease_ttl: 24h}

- name: Operators log in through Keycloak
  mach.platform.vault_auth_method:
    path: oidc
    type: oidc
    description: Keycloak realm mach
"""

RETURN = r"""
path:
  description: The mount path, without slashes.
  returned: always
  type: str
  sample: approle
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    connection_spec,
    ensure_mount,
    run_module,
)


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    return ensure_mount(module, client, "auth", module.params["type"], {})


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            path={"type": "str", "required": True},
            type={
                "type": "str",
                "choices": ["approle", "kubernetes", "oidc", "jwt", "userpass", "cert"],
            },
            description={"type": "str", "default": ""},
            config={"type": "dict", "default": {}},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        required_if=[("state", "present", ["type"])],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
