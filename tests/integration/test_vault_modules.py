"""mach.platform's Vault modules against a real OpenBao server (`bao` from the bundle, the same
HTTP API as Vault), run through Ansible itself: first run changes, second run changes nothing,
check mode predicts without writing, and bad input fails clearly with nothing written."""

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, run, tool
from mach_ops.artifacts import load_manifest

pytestmark = pytest.mark.artifacts
STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
BUNDLE = Path(os.environ.get("MACH_ARTIFACTS_DIR", STATE / "artifacts"))
TOKEN = "integration-root"  # a dev server's throwaway root token


def _bao() -> Path:
    (a,) = [
        a
        for a in load_manifest(ROOT / "artifacts" / "manifest.yml").artifacts
        if a.name == "openbao"
    ]
    return BUNDLE / a.directory / "bao"


@pytest.fixture(scope="module")
def bao():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(_bao()), "server", "-dev", f"-dev-root-token-id={TOKEN}",
         f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/sys/health", timeout=2) as resp:
                if json.load(resp)["sealed"] is False:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("bao dev server did not come up")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def module(url, name, args, *flags, token=TOKEN):
    """Run one module ad hoc; returns (returncode, parsed result)."""
    proc = run(
        [tool("ansible"), "localhost", "-m", f"mach.platform.{name}", "-a", json.dumps(args),
         *flags],
        env={
            "VAULT_ADDR": url,
            "VAULT_TOKEN": token,
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections"),
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "json",
        },
    )  # fmt: skip
    assert "{" in proc.stdout, proc.stdout + proc.stderr
    # The json callback's document sits between profile_tasks' header and summary.
    document, _ = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("\n{") + 1 :])
    result = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return proc.returncode, result


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
