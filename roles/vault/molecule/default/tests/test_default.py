"""Role vault on three air-gapped nodes (internal network, mol-a is the mirror): a Raft
cluster across the zones over TLS only, initialised once with the shares kept on the
controller, an audit log that never holds a secret in clear, engines, auth methods, policies
and a working PKI, the lifecycle playbook's check/unseal/backup actions (run with -vvv, their
output holds no key material), and a failover drill (the last test: it moves the leader)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
import uuid

import hvac
import pytest
import requests
import yaml

from mach_ops.molecule import address, ephemeral, node, playbook, project_root

testinfra_hosts = ["ansible://all"]

EPHEMERAL = ephemeral()
ROOT = project_root()
KEYS_FILE = EPHEMERAL / "secrets" / "vault-init.json"
CA = EPHEMERAL / "pki" / "molecule" / "ca.crt"
MEMBERS = ["mol-a", "mol-b", "mol-c"]
NODE_CA = "/etc/vault/tls/ca.crt"


def init_result() -> dict:
    return json.loads(KEYS_FILE.read_text())


def client(name: str, token: bool = True) -> hvac.Client:
    """hvac from the controller to one member, verifying its certificate against the CA."""
    c = hvac.Client(url=f"https://{address(name)}:8200", verify=str(CA), timeout=10)
    if token:
        c.token = init_result()["root_token"]
    return c


def health(name: str) -> int:
    """200 active, 429 standby, 503 sealed (hvac returns a dict for 200 only)."""
    url = f"https://{address(name)}:8200/v1/sys/health"
    return requests.get(url, verify=str(CA), timeout=10).status_code


def active_member() -> str:
    (active,) = [m for m in MEMBERS if health(m) == 200]
    return active


def lifecycle(action: str) -> subprocess.CompletedProcess:
    """playbooks/vault.yml with one action, against the scenario's inventory, at -vvv."""
    return playbook(ROOT / "playbooks" / "vault.yml", "-vvv", "-e", f"mach_action={action}")


def assert_no_key_material(output: str) -> None:
    document = init_result()
    for secret in [document["root_token"], *document["keys"], *document["keys_base64"]]:
        assert secret not in output


def test_vault_runs_from_the_bundles_binary(host):
    assert host.service("vault").is_running
    assert host.service("vault").is_enabled
    assert host.socket("tcp://0.0.0.0:8200").is_listening
    assert host.socket("tcp://0.0.0.0:8201").is_listening
    pid = host.check_output("systemctl show --property MainPID --value vault")
    assert host.check_output(f"stat -c %U /proc/{pid}") == "vault"
    manifest = yaml.safe_load((ROOT / "artifacts" / "manifest.yml").read_text())
    (openbao,) = [a for a in manifest["artifacts"] if a["name"] == "openbao"]
    binary = host.file("/usr/local/bin/bao").linked_to
    assert binary == f"/opt/openbao/{openbao['version']}/bao"
    assert host.file(binary).sha256sum == openbao["files"]["bao"]


@pytest.mark.parametrize("name", ["mol-b", "mol-c"])
def test_binary_was_fetched_from_the_mirror(host, name):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("the mirror's access log is on mol-a")
    log = host.check_output("cat /var/log/nginx/access.log")
    fetched = [line for line in log.splitlines() if line.startswith(address(name) + " ")]
    assert any("GET /files/openbao/2.7.2/bao " in line for line in fetched)


def test_tls_only_with_a_verified_certificate(host):
    me = host.backend.get_hostname()
    peer = MEMBERS[(MEMBERS.index(me) + 1) % 3]
    verified = host.run(f"curl -sS --cacert {NODE_CA} https://{peer}:8200/v1/sys/health")
    assert verified.rc == 0, verified.stderr
    assert json.loads(verified.stdout)["initialized"] is True
    plaintext = host.run(f"curl -sS http://{peer}:8200/v1/sys/health")
    assert "initialized" not in plaintext.stdout  # Go's TLS server answers 400, never the API
    key = host.file("/etc/vault/tls/vault.key")
    assert (key.user, key.mode) == ("vault", 0o600)
    conf = host.file("/etc/vault/vault.hcl")
    assert (conf.user, conf.group, conf.mode) == ("root", "vault", 0o640)
    assert "tls_disable" not in conf.content_string


def unsealed(host, member) -> list[str]:
    """The member's vault_core_unsealed values, read without a token as Prometheus does."""
    served = host.check_output(
        f"curl -fsS --cacert {NODE_CA} 'https://{member}:8200/v1/sys/metrics?format=prometheus'"
    )
    return re.findall(r'^vault_core_unsealed\{cluster="[^"]*"\} (\S+)$', served, re.M)


def test_metrics_need_no_token_and_nothing_else_is_opened(host):
    """Prometheus reads every member's metrics over TLS without a token (vault_metrics); the
    rest of the API still refuses a request without one."""
    me = host.backend.get_hostname()
    assert "1" in unsealed(host, me)
    mounts = host.run(
        f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert {NODE_CA} "
        f"https://{me}:8200/v1/sys/mounts"
    )
    assert mounts.stdout == "403"


def test_init_result_stays_on_the_controller():
    assert KEYS_FILE.stat().st_mode & 0o777 == 0o600
    document = init_result()
    assert document["encrypted"] is False and len(document["keys"]) == 3
    assert document["key_threshold"] == 2


def test_raft_has_every_zone_as_a_voter_and_one_leader(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    servers = client("mol-a").sys.read_raft_config()["data"]["config"]["servers"]
    assert sorted(s["node_id"] for s in servers) == MEMBERS
    assert all(s["voter"] for s in servers)
    assert sum(s["leader"] for s in servers) == 1
    assert sorted(health(m) for m in MEMBERS) == [200, 429, 429]


def test_engines_auth_methods_and_policies(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    c = client("mol-b")  # a standby forwards
    mounts = c.sys.list_mounted_secrets_engines()["data"]
    assert mounts["secret/"]["type"] == "kv" and mounts["secret/"]["options"]["version"] == "2"
    assert {mounts[p]["type"] for p in ("transit/", "pki/", "pki_int/")} == {"transit", "pki"}
    assert c.sys.list_auth_methods()["data"]["approle/"]["type"] == "approle"
    policies = c.sys.list_acl_policies()["data"]["keys"]
    assert {"platform-admin", "svc-catalog"} <= set(policies)
    rules = c.sys.read_acl_policy("svc-catalog")["data"]["policy"]
    assert 'path "secret/data/services/catalog/*"' in rules


def test_pki_issues_internal_certificates_that_chain_to_the_root(host, tmp_path):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    c = client("mol-c")
    issued = c.secrets.pki.generate_certificate(
        name="internal", common_name="orders.mach.test", mount_point="pki_int"
    )["data"]
    root = c.secrets.pki.read_ca_certificate(mount_point="pki")
    (tmp_path / "root.pem").write_text(root + "\n")
    (tmp_path / "chain.pem").write_text("\n".join(issued["ca_chain"]) + "\n")
    (tmp_path / "leaf.pem").write_text(issued["certificate"] + "\n")
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", tmp_path / "root.pem",
         "-untrusted", tmp_path / "chain.pem", tmp_path / "leaf.pem"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.secrets.pki.generate_certificate(
            name="internal", common_name="evil.example", mount_point="pki_int"
        )


def test_audit_log_records_requests_but_never_a_secret_in_clear(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    value = f"audit-{uuid.uuid4().hex}"
    c = client(active_member())
    c.secrets.kv.v2.create_or_update_secret(
        path="molecule/audit", secret={"password": value}, mount_point="secret"
    )
    assert (
        c.secrets.kv.v2.read_secret_version(
            path="molecule/audit", mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]["password"]
        == value
    )
    logs = {m: node(m).check_output("cat /var/log/vault/audit.log") for m in MEMBERS}
    assert all(value not in log for log in logs.values())
    assert any("secret/data/molecule/audit" in log for log in logs.values())
    assert any('"password":"hmac-sha256:' in log for log in logs.values())
    assert all(node(m).file("/var/log/vault/audit.log").mode == 0o600 for m in MEMBERS)


def snapshots() -> set[tuple[str, str]]:
    return {
        (m, f)
        for m in MEMBERS
        for f in node(m).check_output("ls /var/backups/vault 2>/dev/null || true").split()
    }


def test_check_and_backup_actions_show_no_key_material(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one run of the lifecycle playbook")
    check = lifecycle("check")
    assert check.returncode == 0, check.stdout[-3000:]
    assert_no_key_material(check.stdout + check.stderr)
    before, active = snapshots(), active_member()
    backup = lifecycle("backup")
    assert backup.returncode == 0, backup.stdout[-3000:]
    assert_no_key_material(backup.stdout + backup.stderr)
    taken = snapshots() - before
    assert len(taken) == 1, taken
    ((member, name),) = taken
    assert member == active and name.endswith(".snap")
    size = int(node(member).check_output(f"stat -c %s /var/backups/vault/{name}"))
    assert size > 1000
    print(f"\nbackup: Raft snapshot {name} on {member}, {size} bytes")


def test_failover_then_unseal_through_the_playbook(host):
    """Stop the active member: a standby takes over and serves the data; the stopped member
    comes back sealed, `playbooks/vault.yml -e mach_action=unseal` (at -vvv, no key material
    in its output) unseals it, and it rejoins as a standby."""
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one drill")
    old = active_member()
    c = client(old)
    marker = hashlib.sha256(os.urandom(16)).hexdigest()
    c.secrets.kv.v2.create_or_update_secret(
        path="molecule/drill", secret={"marker": marker}, mount_point="secret"
    )
    node(old).check_output("systemctl stop vault")
    started = time.monotonic()
    others = [m for m in MEMBERS if m != old]
    new = None
    while new is None and time.monotonic() - started < 60:
        time.sleep(0.5)
        new = next((m for m in others if health(m) == 200), None)
    took = time.monotonic() - started
    print(f"\nfailover: {old} stopped, {new} active after {took:.1f} s")
    assert new is not None and took < 30
    read = client(new).secrets.kv.v2.read_secret_version(
        path="molecule/drill", mount_point="secret", raise_on_deleted_version=True
    )
    assert read["data"]["data"]["marker"] == marker

    node(old).check_output("systemctl start vault")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if client(old, token=False).sys.read_seal_status()["sealed"]:
                break
        except requests.exceptions.ConnectionError:  # still starting
            pass
        time.sleep(0.5)
    assert client(old, token=False).sys.read_seal_status()["sealed"] is True
    # A sealed member still tells Prometheus so (VaultSealed), without a token.
    assert unsealed(node(old), old) == ["0"]
    unseal = lifecycle("unseal")
    assert unseal.returncode == 0, unseal.stdout[-3000:]
    assert_no_key_material(unseal.stdout + unseal.stderr)
    assert client(old, token=False).sys.read_seal_status()["sealed"] is False
    assert sorted(health(m) for m in MEMBERS) == [200, 429, 429]
    print(f"failover: {old} unsealed by the playbook, back as a standby")
