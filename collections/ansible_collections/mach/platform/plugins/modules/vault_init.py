#!/usr/bin/python
"""Initialise a Vault (or OpenBao) server once; keep the key material out of logs."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_init
short_description: Initialise a Vault or OpenBao server, once
version_added: 0.2.0
description:
  - Initialises the server when it is not yet initialised; an initialised server is left
    alone (no change), so the task can stay in every run.
  - The unseal key shares and the root token are written to I(keys_file), never returned or
    logged. By default each share must be encrypted to an operator's PGP key (I(pgp_keys)) and
    the root token to I(root_token_pgp_key), so the file is safe to keep (docs/adr/0006).
    Plaintext shares need I(allow_plaintext_keys=true) and are meant for test and local
    environments (the file is created mode 0600 and is never overwritten).
  - Run it against one member of a cluster (C(run_once)); Raft peers join it.
options:
  url:
    description: Server address. Defaults to C(VAULT_ADDR).
    type: str
  ca_cert:
    description: CA bundle to verify the server. Defaults to C(VAULT_CACERT).
    type: path
  key_shares:
    description: Number of unseal key shares. Must equal the number of I(pgp_keys) when given.
    type: int
    default: 5
  key_threshold:
    description: Shares needed to unseal (at least 2 unless there is only one share).
    type: int
    default: 3
  pgp_keys:
    description: Base64 OpenPGP public keys, one per share, in share order.
    type: list
    elements: str
    default: []
  root_token_pgp_key:
    description: Base64 OpenPGP public key the root token is encrypted to.
    type: str
  allow_plaintext_keys:
    description: Accept initialising without PGP encryption (test and local environments).
    type: bool
    default: false
  keys_file:
    description:
      - File (on the host the module runs on; delegate to the controller) that receives the
        result as JSON (C(keys), C(keys_base64), C(root_token), C(encrypted)). Created with mode
        0600; an existing file is never overwritten.
    type: path
    required: true
requirements:
  - hvac >= 2.0
extends_documentation_fragment:
  - mach.platform.common
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Initialise the cluster with shares for five operators
  mach.platform.vault_init:
    url: https://vault-a1.mach.example:8200
    key_shares: 5
    key_threshold: 3
    pgp_keys: "{{ vault_operator_pgp_keys }}"
    root_token_pgp_key: "{{ vault_root_pgp_key }}"
    keys_file: "{{ mach_state_dir }}/secrets/{{ mach_env }}/vault-init.json"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
initialized_now:
  description: Whether this run initialised the server.
  returned: always
  type: bool
keys_file:
  description: Where the key material was written (only when initialised now).
  returned: when initialised now
  type: str
"""

import json
import os
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    API_ERRORS,
    CONNECTION_ARGS,
    HAS_HVAC,
    HVAC_IMPORT_ERROR,
    VaultError,
    seal_status,
    unauthenticated_client,
)


def validate(params: dict[str, Any]) -> None:
    shares, threshold = params["key_shares"], params["key_threshold"]
    if not 1 <= threshold <= shares or (shares > 1 and threshold < 2):
        raise VaultError(
            f"key_threshold={threshold} does not fit key_shares={shares}: it must be between "
            "2 and key_shares (or both 1)"
        )
    pgp = params["pgp_keys"]
    if pgp and len(pgp) != shares:
        raise VaultError(f"{len(pgp)} pgp_keys for {shares} key_shares: give one key per share")
    if not params["allow_plaintext_keys"] and not (pgp and params["root_token_pgp_key"]):
        raise VaultError(
            "refusing plaintext unseal keys: give pgp_keys (one per share) and "
            "root_token_pgp_key, or allow_plaintext_keys=true for a test or local environment"
        )
    if Path(params["keys_file"]).exists():
        raise VaultError(
            f"{params['keys_file']} exists: move it away (it may hold the only copy of another "
            "server's keys) before initialising"
        )


def apply(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    client = unauthenticated_client(params)
    if seal_status(client).get("initialized"):
        return {"changed": False, "initialized_now": False}
    validate(params)
    if module.check_mode:
        return {"changed": True, "initialized_now": False}
    result = client.sys.initialize(
        secret_shares=params["key_shares"],
        secret_threshold=params["key_threshold"],
        pgp_keys=params["pgp_keys"] or None,
        root_token_pgp_key=params["root_token_pgp_key"],
    )
    document = {
        "keys": result.get("keys", []),
        "keys_base64": result.get("keys_base64", []),
        "root_token": result.get("root_token"),
        "encrypted": bool(params["pgp_keys"]),
        "key_threshold": params["key_threshold"],
    }
    fd = os.open(params["keys_file"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(document, fh, indent=2)
    return {"changed": True, "initialized_now": True, "keys_file": params["keys_file"]}


def main() -> None:
    spec = {k: v for k, v in CONNECTION_ARGS.items() if k != "token"}
    module = AnsibleModule(
        argument_spec={
            **spec,
            "key_shares": {"type": "int", "default": 5},
            "key_threshold": {"type": "int", "default": 3},
            "pgp_keys": {"type": "list", "elements": "str", "default": [], "no_log": False},
            "root_token_pgp_key": {"type": "str", "no_log": False},
            "allow_plaintext_keys": {"type": "bool", "default": False},
            "keys_file": {"type": "path", "required": True, "no_log": False},
        },
        supports_check_mode=True,
    )
    if not HAS_HVAC:
        module.fail_json(msg=f"the hvac Python library is required: {HVAC_IMPORT_ERROR}")
    try:
        module.exit_json(**apply(module))
    except VaultError as exc:
        module.fail_json(msg=str(exc))
    except API_ERRORS as exc:
        module.fail_json(msg=f"Vault refused to initialise: {exc}")


if __name__ == "__main__":
    main()
