#!/usr/bin/python
"""Give a Vault (or OpenBao) PKI mount its CA once: an internal root, or an intermediate
signed by another mount of the same server."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_pki_ca
short_description: Create the CA of a Vault or OpenBao PKI mount, once
version_added: 0.2.0
description:
  - When the mount has no CA yet, generates one with a key that never leaves Vault, either a
    self-signed root (I(type=root)) or an intermediate (I(type=intermediate)) whose CSR is
    signed by the root in I(signer_mount) and imported back. A mount that already has a CA is
    left alone (this module never replaces a CA; rotating one is a procedure).
  - Sets the mount's issuing-certificate and CRL URLs when they differ.
  - community.hashi_vault issues certificates (vault_pki_generate_certificate) but has no
    module for creating the CA; this fills that gap.
options:
  mount:
    description: The PKI mount, e.g. C(pki) or C(pki_int) (enable it with vault_secrets_engine).
    type: str
    required: true
  type:
    description: Root or intermediate CA.
    type: str
    choices: [root, intermediate]
    required: true
  common_name:
    description: The CA's common name.
    type: str
    required: true
  ttl:
    description: Validity of the CA certificate (e.g. C(87600h)); at most the mount's max TTL.
    type: str
    default: 43800h
  key_type:
    description: Key algorithm.
    type: str
    choices: [ec, rsa, ed25519]
    default: ec
  key_bits:
    description: Key size (256/384 for ec, 2048+ for rsa; ignored for ed25519).
    type: int
    default: 384
  signer_mount:
    description: Mount of the root that signs an intermediate. Required for I(type=intermediate).
    type: str
  urls:
    description: Base URL of this server for the mount's issuing-certificate and CRL URLs.
    type: str
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Platform root CA (kept in Vault, ten years)
  mach.platform.vault_pki_ca:
    mount: pki
    type: root
    common_name: MACH platform root CA
    ttl: 87600h

- name: Intermediate that issues the services' certificates
  mach.platform.vault_pki_ca:
    mount: pki_int
    type: intermediate
    common_name: MACH platform issuing CA
    signer_mount: pki
    ttl: 43800h
    urls: https://vault.mach.example:8200
"""

RETURN = r"""
certificate:
  description: The mount's CA certificate (PEM); empty in check mode before it exists.
  returned: always
  type: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    InvalidRequest,
    VaultError,
    connection_spec,
    run_module,
)


def ca_pem(client: Any, mount: str) -> str:
    """The mount's default issuer certificate, or "" when it has none yet."""
    try:
        body = client.read(f"{mount}/cert/ca") or {}
    except InvalidRequest as exc:
        if "no default issuer" in str(exc):
            return ""
        raise
    return str(body.get("data", {}).get("certificate") or "").strip()


def configure_urls(module: AnsibleModule, client: Any, mount: str) -> bool:
    base = module.params["urls"]
    if not base:
        return False
    wanted = {
        "issuing_certificates": [f"{base}/v1/{mount}/ca"],
        "crl_distribution_points": [f"{base}/v1/{mount}/crl"],
    }
    current = client.read(f"{mount}/config/urls") or {}
    data = current.get("data", {})
    if all(list(data.get(k) or []) == v for k, v in wanted.items()):
        return False
    if not module.check_mode:
        client.write_data(f"{mount}/config/urls", data=wanted)
    return True


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    p = module.params
    mount = p["mount"].strip("/")
    if mount.rstrip("/") + "/" not in client.sys.list_mounted_secrets_engines()["data"]:
        raise VaultError(f"no secrets engine at {mount!r}: enable a pki mount first")
    if p["type"] == "intermediate" and not p["signer_mount"]:
        raise VaultError("type=intermediate needs signer_mount (the mount of its root)")
    existing = ca_pem(client, mount)
    changed = False
    if not existing:
        changed = True
        if not module.check_mode:
            existing = create(client, p, mount)
    changed = configure_urls(module, client, mount) or changed
    return {"changed": changed, "certificate": existing}


def create(client: Any, p: dict[str, Any], mount: str) -> str:
    key = {
        "key_type": p["key_type"],
        "key_bits": 0 if p["key_type"] == "ed25519" else p["key_bits"],
    }
    if p["type"] == "root":
        body = {"common_name": p["common_name"], "ttl": p["ttl"], **key}
        result = client.write_data(f"{mount}/root/generate/internal", data=body)
        return str(result["data"]["certificate"]).strip()
    signer = p["signer_mount"].strip("/")
    if not ca_pem(client, signer):
        raise VaultError(f"signer_mount {signer!r} has no CA yet: create its root first")
    csr = client.write_data(
        f"{mount}/intermediate/generate/internal",
        data={"common_name": p["common_name"], **key},
    )["data"]["csr"]
    signed = client.write_data(
        f"{signer}/root/sign-intermediate",
        data={"csr": csr, "common_name": p["common_name"], "ttl": p["ttl"], "format": "pem_bundle"},
    )["data"]["certificate"]
    client.write_data(f"{mount}/intermediate/set-signed", data={"certificate": signed})
    return ca_pem(client, mount)


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            mount={"type": "str", "required": True},
            type={"type": "str", "choices": ["root", "intermediate"], "required": True},
            common_name={"type": "str", "required": True},
            ttl={"type": "str", "default": "43800h"},
            key_type={"type": "str", "choices": ["ec", "rsa", "ed25519"], "default": "ec"},
            key_bits={"type": "int", "default": 384},
            signer_mount={"type": "str"},
            urls={"type": "str"},
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
