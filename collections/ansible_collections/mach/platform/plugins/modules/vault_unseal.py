#!/usr/bin/python
"""Unseal a Vault (or OpenBao) server with key shares, if it is sealed."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_unseal
short_description: Unseal a Vault or OpenBao server with key shares
version_added: 0.2.0
description:
  - Reads the seal status; an unsealed server is left alone (no change). A sealed one gets
    key shares until it reports unsealed.
  - Shares come from I(keys) (each operator's decrypted share, e.g. prompted by the unseal
    playbook) or from I(keys_file) written by M(mach.platform.vault_init) with plaintext keys.
    They are never logged.
  - Fails, naming how many shares are still missing, when the given ones do not reach the
    threshold; a wrong share is reported as such and the progress is reset.
  - Gives no more shares than the threshold. A Raft member that is joining its cluster
    (C(retry_join)) finishes unsealing asynchronously once the threshold is reached; the module
    then polls the seal status for up to I(timeout) seconds.
options:
  url:
    description: Server address. Defaults to C(VAULT_ADDR).
    type: str
  ca_cert:
    description: CA bundle to verify the server. Defaults to C(VAULT_CACERT).
    type: path
  timeout:
    description: Seconds to wait for each request, and for a joining member to finish unsealing.
    type: int
    default: 30
  keys:
    description: Unseal key shares (hex or base64).
    type: list
    elements: str
    default: []
  keys_file:
    description: JSON file from M(mach.platform.vault_init) holding plaintext shares.
    type: path
requirements:
  - hvac >= 2.0
extends_documentation_fragment:
  - mach.platform.common
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Unseal every member with the operators' shares
  mach.platform.vault_unseal:
    url: "https://{{ inventory_hostname }}:8200"
    keys: "{{ vault_unseal_shares }}"
  no_log: true
"""

RETURN = r"""
sealed:
  description: Whether the server is sealed after the run.
  returned: always
  type: bool
shares_given:
  description: How many shares this run submitted.
  returned: always
  type: int
"""

import json
import time
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


def shares(params: dict[str, Any]) -> list[str]:
    given = list(params["keys"])
    if params["keys_file"]:
        with Path(params["keys_file"]).open() as fh:
            document = json.load(fh)
        if document.get("encrypted"):
            raise VaultError(
                f"{params['keys_file']} holds PGP-encrypted shares: each operator decrypts "
                "theirs and gives it through keys"
            )
        given += document.get("keys", [])
    return given


def unsealed_within(client: Any, seconds: float) -> bool:
    """Poll the seal status until unsealed (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not seal_status(client).get("sealed"):
            return True
        time.sleep(0.5)
    return False


def apply(module: AnsibleModule) -> dict[str, Any]:
    client = unauthenticated_client(module.params)
    status = seal_status(client)
    if not status.get("initialized", True):
        raise VaultError(f"Vault at {client.url} is not initialised: run vault_init first")
    if not status.get("sealed"):
        return {"changed": False, "sealed": False, "shares_given": 0}
    keys = shares(module.params)
    missing = status["t"] - status.get("progress", 0)
    if len(keys) < missing:
        raise VaultError(
            f"Vault at {client.url} needs {missing} more key shares, {len(keys)} given"
        )
    if module.check_mode:
        return {"changed": True, "sealed": True, "shares_given": 0}
    given = 0
    for key in keys:
        try:
            status = client.sys.submit_unseal_key(key)
        except API_ERRORS as exc:
            client.sys.submit_unseal_key(reset=True)
            raise VaultError(
                f"Vault at {client.url} rejected share {given + 1} ({exc}); progress reset: "
                "check the shares"
            ) from exc
        given += 1
        if not status.get("sealed"):
            return {"changed": True, "sealed": False, "shares_given": given}
        if status.get("progress", 0) == 0:  # the threshold was reached and consumed
            if unsealed_within(client, module.params["timeout"]):
                return {"changed": True, "sealed": False, "shares_given": given}
            raise VaultError(
                f"Vault at {client.url} took {given} shares (the threshold) but is still "
                f"sealed after {module.params['timeout']} s: a joining member could not reach "
                "its cluster's leader (journalctl -u vault on it)"
            )
    raise VaultError(
        f"Vault at {client.url} is still sealed after {given} shares "
        f"({status.get('progress')} of {status.get('t')}): the shares do not belong together"
    )


def main() -> None:
    spec = {k: v for k, v in CONNECTION_ARGS.items() if k != "token"}
    module = AnsibleModule(
        argument_spec={
            **spec,
            "keys": {"type": "list", "elements": "str", "default": [], "no_log": True},
            "keys_file": {"type": "path"},
        },
        required_one_of=[("keys", "keys_file")],
        supports_check_mode=True,
    )
    if not HAS_HVAC:
        module.fail_json(msg=f"the hvac Python library is required: {HVAC_IMPORT_ERROR}")
    try:
        module.exit_json(**apply(module))
    except VaultError as exc:
        module.fail_json(msg=str(exc))
    except API_ERRORS as exc:
        module.fail_json(msg=f"Vault refused the request: {exc}")


if __name__ == "__main__":
    main()
