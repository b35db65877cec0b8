"""Internal TLS from Vault PKI, against a real OpenBao: a root and an intermediate created once
by mach.platform.vault_pki_ca, a role by vault_pki_role, and a certificate issued by the field's
own module (community.hashi_vault.vault_pki_generate_certificate) that openssl verifies up to
the root."""

import subprocess

import pytest
from vaultkit import module, start_bao

pytestmark = pytest.mark.artifacts


@pytest.fixture(scope="module")
def bao():
    with start_bao(dev=True) as url:
        for path in ("pki", "pki_int"):
            args = {"path": path, "type": "pki", "config": {"max_lease_ttl": "87600h"}}
            assert module(url, "vault_secrets_engine", args)[0] == 0
        yield url


ROOT_CA = {"mount": "pki", "type": "root", "common_name": "MACH test root", "ttl": "87600h"}
ISSUING = {
    "mount": "pki_int",
    "type": "intermediate",
    "common_name": "MACH test issuing",
    "signer_mount": "pki",
    "ttl": "43800h",
}
ROLE = {
    "mount": "pki_int",
    "name": "node",
    "settings": {
        "allowed_domains": ["mach.test"],
        "allow_subdomains": True,
        "max_ttl": "720h",
        "key_type": "ec",
        "key_bits": 256,
    },
}


def test_intermediate_needs_its_root_first(bao):
    rc, res = module(bao, "vault_pki_ca", {**ISSUING, "signer_mount": "pki-missing"})
    assert rc != 0 and "has no CA yet" in res["msg"]
    rc, res = module(bao, "vault_pki_ca", {**ISSUING, "mount": "nowhere"})
    assert rc != 0 and "enable a pki mount first" in res["msg"]


def test_ca_chain_created_once_and_certificates_verify(bao, tmp_path):
    rc, root = module(bao, "vault_pki_ca", ROOT_CA, "--check")
    assert rc == 0 and root["changed"] is True and root["certificate"] == ""
    rc, root = module(bao, "vault_pki_ca", ROOT_CA)
    assert rc == 0 and root["changed"] is True and "BEGIN CERTIFICATE" in root["certificate"]
    rc, again = module(bao, "vault_pki_ca", ROOT_CA)
    assert rc == 0 and again["changed"] is False
    assert again["certificate"] == root["certificate"]  # never replaced

    rc, issuing = module(bao, "vault_pki_ca", {**ISSUING, "urls": bao})
    assert rc == 0 and issuing["changed"] is True, issuing
    rc, again = module(bao, "vault_pki_ca", {**ISSUING, "urls": bao})
    assert rc == 0 and again["changed"] is False

    rc, res = module(bao, "vault_pki_role", ROLE, "--diff")
    assert rc == 0 and res["changed"] is True
    rc, res = module(bao, "vault_pki_role", ROLE)
    assert rc == 0 and res["changed"] is False
    same = {**ROLE, "settings": {**ROLE["settings"], "max_ttl": 2592000}}  # 720h in seconds
    assert module(bao, "vault_pki_role", same)[1]["changed"] is False
    shorter = {**ROLE, "settings": {**ROLE["settings"], "max_ttl": "72h"}}
    assert module(bao, "vault_pki_role", shorter)[1]["changed"] is True

    rc, cert = module(
        bao,
        "community.hashi_vault.vault_pki_generate_certificate",
        {"role_name": "node", "common_name": "db1.mach.test", "engine_mount_point": "pki_int"},
    )
    assert rc == 0, cert
    data = cert["data"]["data"]
    (tmp_path / "root.pem").write_text(root["certificate"] + "\n")
    (tmp_path / "issuing.pem").write_text(issuing["certificate"] + "\n")
    (tmp_path / "leaf.pem").write_text(data["certificate"] + "\n")
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted",
         str(tmp_path / "issuing.pem"), str(tmp_path / "leaf.pem")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # Outside the role's domains: refused.
    rc, res = module(
        bao,
        "community.hashi_vault.vault_pki_generate_certificate",
        {"role_name": "node", "common_name": "evil.example", "engine_mount_point": "pki_int"},
    )
    assert rc != 0
