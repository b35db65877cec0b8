"""mach.platform's Vault modules against a real OpenBao server (`bao` from the bundle, the same
HTTP API as Vault), run through Ansible itself: first run changes, second run changes nothing,
check mode predicts without writing, and bad input fails clearly with nothing written."""

import json
import urllib.request

import pytest
from vaultkit import TOKEN, module, start_bao

pytestmark = pytest.mark.artifacts


@pytest.fixture(scope="module")
def bao():
    with start_bao(dev=True) as url:
        yield url


def api(url, path):
    req = urllib.request.Request(f"{url}/v1/{path}", headers={"X-Vault-Token": TOKEN})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


POLICY = 'path "kv/data/services/catalog/*" {\n  capabilities = ["read"]\n}\n'


def test_policy_check_mode_then_write_then_no_change(bao):
    rc, res = module(bao, "vault_policy", {"name": "svc-catalog", "policy": POLICY}, "--check")
    assert rc == 0 and res["changed"] is True
    with pytest.raises(urllib.error.HTTPError):  # check mode wrote nothing
        api(bao, "sys/policies/acl/svc-catalog")
    rc, res = module(bao, "vault_policy", {"name": "svc-catalog", "policy": POLICY}, "--diff")
    assert rc == 0 and res["changed"] is True
    assert api(bao, "sys/policies/acl/svc-catalog")["data"]["policy"].strip() == POLICY.strip()
    # Trailing whitespace is not a difference; a second run changes nothing.
    rc, res = module(bao, "vault_policy", {"name": "svc-catalog", "policy": POLICY + "\n\n"})
    assert rc == 0 and res["changed"] is False
    rc, res = module(bao, "vault_policy", {"name": "svc-catalog", "state": "absent"})
    assert rc == 0 and res["changed"] is True
    rc, res = module(bao, "vault_policy", {"name": "svc-catalog", "state": "absent"})
    assert rc == 0 and res["changed"] is False


def test_builtin_policies_are_protected(bao):
    rc, res = module(bao, "vault_policy", {"name": "default", "state": "absent"})
    assert rc != 0 and "built in" in res["msg"]


def test_secrets_engines_enable_tune_and_refuse_to_replace(bao):
    args = {"path": "kv", "type": "kv-v2", "config": {"max_lease_ttl": "768h"}}
    rc, res = module(bao, "vault_secrets_engine", args)
    assert rc == 0 and res["changed"] is True
    mount = api(bao, "sys/mounts")["data"]["kv/"]
    assert mount["type"] == "kv" and mount["options"]["version"] == "2"
    assert mount["config"]["max_lease_ttl"] == 768 * 3600
    rc, res = module(bao, "vault_secrets_engine", args)
    assert rc == 0 and res["changed"] is False
    # A changed TTL is tuned in place.
    rc, res = module(bao, "vault_secrets_engine", {**args, "config": {"max_lease_ttl": "24h"}})
    assert rc == 0 and res["changed"] is True
    assert api(bao, "sys/mounts")["data"]["kv/"]["config"]["max_lease_ttl"] == 86400
    # Another type at the same path is refused, and the mount is untouched.
    rc, res = module(bao, "vault_secrets_engine", {"path": "kv", "type": "pki"})
    assert rc != 0 and "not replace" in res["msg"]
    assert api(bao, "sys/mounts")["data"]["kv/"]["type"] == "kv"
    # Disabling deletes data: refused without purge.
    rc, res = module(bao, "vault_secrets_engine", {"path": "kv", "state": "absent"})
    assert rc != 0 and "purge=true" in res["msg"]
    assert "kv/" in api(bao, "sys/mounts")["data"]
    for engine in ("pki", "transit", "database"):
        rc, res = module(bao, "vault_secrets_engine", {"path": engine, "type": engine})
        assert rc == 0 and res["changed"] is True, res


def test_auth_methods(bao):
    args = {"path": "approle", "type": "approle", "config": {"default_lease_ttl": "1h"}}
    rc, res = module(bao, "vault_auth_method", args, "--check")
    assert rc == 0 and res["changed"] is True
    assert "approle/" not in api(bao, "sys/auth")["data"]
    rc, res = module(bao, "vault_auth_method", args)
    assert rc == 0 and res["changed"] is True
    assert api(bao, "sys/auth")["data"]["approle/"]["config"]["default_lease_ttl"] == 3600
    rc, res = module(bao, "vault_auth_method", args)
    assert rc == 0 and res["changed"] is False
    rc, res = module(bao, "vault_auth_method", {"path": "approle", "state": "absent"})
    assert rc == 0 and res["changed"] is True


def test_generated_secret_made_once_and_then_only_read(bao):
    """A dev server mounts KV v2 at secret/: missing keys are generated, present ones kept."""
    args = {"path": "platform/pg", "keys": ["superuser", "replication"]}
    rc, res = module(bao, "vault_generated_secret", args, "--check")
    assert rc == 0 and res["changed"] is True and res["secret"] == dict.fromkeys(args["keys"], "")
    with pytest.raises(urllib.error.HTTPError):  # check mode wrote nothing
        api(bao, "secret/data/platform/pg")
    rc, first = module(bao, "vault_generated_secret", args)
    assert rc == 0 and first["changed"] is True and first["generated"] == args["keys"]
    assert all(len(v) == 32 and v.isalnum() for v in first["secret"].values())
    assert first["secret"]["superuser"] != first["secret"]["replication"]
    rc, again = module(bao, "vault_generated_secret", args)
    assert rc == 0 and again["changed"] is False and again["secret"] == first["secret"]
    rc, more = module(bao, "vault_generated_secret", {**args, "keys": ["superuser", "rewind"]})
    assert rc == 0 and more["generated"] == ["rewind"]
    stored = api(bao, "secret/data/platform/pg")["data"]
    assert stored["data"]["superuser"] == first["secret"]["superuser"]  # never rotated
    assert set(stored["data"]) == {"superuser", "replication", "rewind"}
    assert stored["metadata"]["version"] == 2


def test_generated_secret_refuses_a_non_kv2_mount_and_short_values(bao):
    rc, res = module(bao, "vault_generated_secret", {"mount": "sys", "path": "x", "keys": ["a"]})
    assert rc != 0 and "not a kv-v2 secrets engine" in res["msg"]
    rc, res = module(bao, "vault_generated_secret", {"path": "x", "keys": ["a"], "length": 8})
    assert rc != 0 and "too short" in res["msg"]


def test_bad_duration_is_refused_before_any_write(bao):
    bad = {"path": "kv-bad", "type": "kv-v2", "config": {"max_lease_ttl": "12x"}}
    rc, res = module(bao, "vault_secrets_engine", bad)
    assert rc != 0 and "not a duration" in res["msg"]
    assert "kv-bad/" not in api(bao, "sys/mounts")["data"]


def test_wrong_token_and_unreachable_server_are_named(bao):
    rc, res = module(bao, "vault_policy", {"name": "x", "policy": POLICY}, token="s.wrong")
    assert rc != 0 and "rejected the token" in res["msg"]
    rc, res = module("http://127.0.0.1:9", "vault_policy", {"name": "x", "policy": POLICY})
    assert rc != 0 and "unreachable" in res["msg"]


def test_sealed_server_is_named_and_nothing_written(bao):
    req = urllib.request.Request(
        f"{bao}/v1/sys/seal", method="PUT", headers={"X-Vault-Token": TOKEN}
    )
    urllib.request.urlopen(req, timeout=5).close()
    rc, res = module(bao, "vault_policy", {"name": "after-seal", "policy": POLICY})
    assert rc != 0 and "sealed" in res["msg"] and "unseal" in res["msg"]
