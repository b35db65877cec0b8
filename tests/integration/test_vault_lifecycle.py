"""vault_init and vault_unseal against a real OpenBao server with Raft storage (not dev mode):
initialise once, keys only in a 0600 file, unseal, restart sealed, unseal again; PGP-encrypted
shares that an operator decrypts with gpg; bad input leaves the server untouched."""

import base64
import json
import subprocess
import time
import urllib.request

import pytest
from vaultkit import module, start_bao

pytestmark = pytest.mark.artifacts


def status(url):
    with urllib.request.urlopen(f"{url}/v1/sys/seal-status", timeout=5) as resp:
        return json.load(resp)


def test_init_once_then_unseal_with_the_keys_file(tmp_path):
    keys_file = tmp_path / "vault-init.json"
    init = {"key_shares": 3, "key_threshold": 2, "keys_file": str(keys_file)}
    with start_bao(dev=False, storage=tmp_path / "bao") as url:
        # Plaintext shares must be asked for; nothing is initialised meanwhile.
        rc, res = module(url, "vault_init", init)
        assert rc != 0 and "pgp_keys" in res["msg"]
        assert status(url)["initialized"] is False
        rc, res = module(url, "vault_init", {**init, "key_threshold": 1})
        assert rc != 0 and "key_threshold=1" in res["msg"]
        init["allow_plaintext_keys"] = True
        rc, res = module(url, "vault_init", init, "--check")
        assert rc == 0 and res["changed"] is True and not keys_file.exists()

        rc, res = module(url, "vault_init", init)
        assert rc == 0 and res["changed"] is True, res
        assert keys_file.stat().st_mode & 0o777 == 0o600
        document = json.loads(keys_file.read_text())
        assert len(document["keys"]) == 3 and document["root_token"]
        # Nothing of the key material in the module's result.
        assert document["root_token"] not in json.dumps(res)
        assert not any(k in json.dumps(res) for k in document["keys"])
        rc, res = module(url, "vault_init", {**init, "keys_file": str(tmp_path / "other.json")})
        assert rc == 0 and res["changed"] is False  # initialised: left alone

        assert status(url)["sealed"] is True
        rc, res = module(url, "vault_unseal", {"keys": document["keys"][:1]})
        assert rc != 0 and "needs 2 more key shares, 1 given" in res["msg"]
        rc, res = module(url, "vault_unseal", {"keys_file": str(keys_file)})
        assert rc == 0 and res["changed"] is True and res["shares_given"] == 2
        assert status(url)["sealed"] is False
        rc, res = module(url, "vault_unseal", {"keys_file": str(keys_file)})
        assert rc == 0 and res["changed"] is False
        # The root token works for the other modules.
        rc, res = module(
            url,
            "vault_secrets_engine",
            {"path": "kv", "type": "kv-v2"},
            token=document["root_token"],
        )
        assert rc == 0 and res["changed"] is True

    # A restart comes up sealed with the data kept; the same file unseals it again.
    with start_bao(dev=False, storage=tmp_path / "bao") as url:
        assert status(url) | {"initialized": True, "sealed": True} == status(url)
        rc, res = module(url, "vault_init", init)
        assert rc == 0 and res["changed"] is False
        rc, res = module(url, "vault_unseal", {"keys_file": str(keys_file)})
        assert rc == 0 and res["changed"] is True and status(url)["sealed"] is False


def test_wrong_share_is_named_and_progress_reset(tmp_path):
    keys_file = tmp_path / "init.json"
    with start_bao(dev=False, storage=tmp_path / "bao") as url:
        init = {"key_shares": 3, "key_threshold": 2, "keys_file": str(keys_file)}
        assert module(url, "vault_init", {**init, "allow_plaintext_keys": True})[0] == 0
        good = json.loads(keys_file.read_text())["keys"][0]
        bogus = "00" * 33
        rc, res = module(url, "vault_unseal", {"keys": [good, bogus]})
        assert rc != 0 and ("rejected share" in res["msg"] or "still sealed" in res["msg"])
        assert status(url)["sealed"] is True and status(url)["progress"] == 0


def _gpg(home, *args, data=None):
    return subprocess.run(
        ["gpg", "--batch", "--yes", "--homedir", str(home), "--pinentry-mode", "loopback",
         "--passphrase", "", *args],
        input=data,
        capture_output=True,
        check=True,
    )  # fmt: skip


def test_pgp_encrypted_shares_unseal_after_operators_decrypt_them(tmp_path):
    """Each share is encrypted to one operator's key: the file holds no usable secret, and the
    shares each operator decrypts with their own key unseal the server."""
    operators = []
    for name in ("ops-a", "ops-b"):
        home = tmp_path / f"gnupg-{name}"
        home.mkdir(mode=0o700)
        _gpg(home, "--quick-gen-key", f"{name} <{name}@mach.invalid>", "rsa2048", "encrypt", "1d")
        public = _gpg(home, "--export", f"{name}@mach.invalid").stdout
        operators.append((home, base64.b64encode(public).decode()))
    keys_file = tmp_path / "init.json"
    with start_bao(dev=False, storage=tmp_path / "bao") as url:
        rc, res = module(
            url,
            "vault_init",
            {
                "key_shares": 2,
                "key_threshold": 2,
                "pgp_keys": [key for _, key in operators],
                "root_token_pgp_key": operators[0][1],
                "keys_file": str(keys_file),
            },
        )
        assert rc == 0 and res["changed"] is True, res
        document = json.loads(keys_file.read_text())
        assert document["encrypted"] is True
        rc, res = module(url, "vault_unseal", {"keys_file": str(keys_file)})
        assert rc != 0 and "PGP-encrypted" in res["msg"]
        shares = [
            _gpg(home, "--decrypt", data=base64.b64decode(encrypted)).stdout.decode()
            for (home, _), encrypted in zip(operators, document["keys_base64"], strict=True)
        ]
        rc, res = module(url, "vault_unseal", {"keys": shares})
        assert rc == 0 and res["changed"] is True and status(url)["sealed"] is False


def test_joining_member_unseals_with_exactly_the_threshold(tmp_path):
    """A Raft member joining through retry_join finishes unsealing asynchronously: the module
    gives it the threshold, no share more, and waits until it serves."""
    keys_file = tmp_path / "vault-init.json"
    init = {"key_shares": 3, "key_threshold": 2, "keys_file": str(keys_file)}
    with start_bao(dev=False, storage=tmp_path / "leader") as leader:
        rc, res = module(leader, "vault_init", {**init, "allow_plaintext_keys": True})
        assert rc == 0 and res["changed"] is True, res
        rc, res = module(leader, "vault_unseal", {"keys_file": str(keys_file)})
        assert rc == 0 and status(leader)["sealed"] is False
        with start_bao(dev=False, storage=tmp_path / "follower", join=leader) as follower:
            deadline = time.monotonic() + 30
            while not status(follower)["initialized"] and time.monotonic() < deadline:
                time.sleep(0.5)  # retry_join has fetched the leader's challenge
            assert status(follower) | {"initialized": True, "sealed": True} == status(follower)
            rc, res = module(follower, "vault_unseal", {"keys_file": str(keys_file)})
            assert rc == 0 and res["changed"] is True, res
            assert res["shares_given"] == 2
            assert status(follower)["sealed"] is False
            token = json.loads(keys_file.read_text())["root_token"]
            request = urllib.request.Request(
                f"{leader}/v1/sys/storage/raft/configuration", headers={"X-Vault-Token": token}
            )
            with urllib.request.urlopen(request, timeout=5) as resp:
                servers = json.load(resp)["data"]["config"]["servers"]
            assert sorted(s["node_id"] for s in servers) == ["follower", "leader"]
