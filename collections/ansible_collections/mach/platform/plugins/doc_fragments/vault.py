"""Connection options shared by the mach.platform Vault modules."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Address of the Vault (or OpenBao) server, e.g. C(https://vault.example:8200).
      - Defaults to the C(VAULT_ADDR) environment variable.
    type: str
  token:
    description:
      - Token to authenticate with. Defaults to the C(VAULT_TOKEN) environment variable.
    type: str
  ca_cert:
    description:
      - CA bundle to verify the server's certificate. Defaults to C(VAULT_CACERT).
    type: path
requirements:
  - hvac >= 2.0
notes:
  - Works against HashiCorp Vault and OpenBao (the same HTTP API); tested against OpenBao.
  - Every module reads the current state first and writes only what differs, so a second run
    reports no change; check mode and diff are supported.
"""
