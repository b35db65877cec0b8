"""Role redis on three air-gapped nodes (internal network, mol-a is the mirror): TLS only,
ACL users with hashed passwords, replication to every zone, three Sentinels with a quorum,
and a real failover when the master is stopped (the last test: it moves the master)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mach_ops.molecule import secret

testinfra_hosts = ["ansible://all"]

MEMBERS = ["mol-a", "mol-b", "mol-c"]
CA = "/etc/redis/mach/tls/ca.crt"


def cli(host, user: str | None, command: str, target: str = "", port: int = 6379, password=None):
    """redis-cli over TLS as `user` (its real password unless one is given)."""
    target = target or host.backend.get_hostname()
    auth = ""
    if user is not None:
        auth = f"REDISCLI_AUTH={password or secret(f'redis-{user}')} "
    flag = f"--user {user} " if user not in (None, "sentinel-client") else ""
    return host.run(
        f"{auth}timeout 20 redis-cli --tls --cacert {CA} -h {target} -p {port} {flag}"
        f"--no-auth-warning {command}"
    )


def sentinel(host, command: str, target: str = ""):
    return cli(host, "sentinel-client", command, target, 26379, secret("redis-sentinel"))


def master_of(host) -> str:
    return sentinel(host, "SENTINEL get-master-addr-by-name mach").stdout.split()[0]


def test_units_run_with_tls_only(host):
    for unit in ("redis-server", "redis-sentinel"):
        assert host.service(unit).is_running, unit
        assert host.service(unit).is_enabled, unit
    assert host.socket("tcp://0.0.0.0:6379").is_listening
    assert host.socket("tcp://0.0.0.0:26379").is_listening
    # No plaintext: a client without TLS gets no answer.
    plain = host.run(f"timeout 5 redis-cli -h {host.backend.get_hostname()} -p 6379 PING")
    assert "PONG" not in plain.stdout


def test_default_user_is_off_and_passwords_are_checked(host):
    anonymous = cli(host, None, "PING")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr
    wrong = cli(host, "cart", "PING", password="not-the-password-at-all")
    assert "WRONGPASS" in wrong.stdout + wrong.stderr
    assert cli(host, "cart", "PING").stdout.strip() == "PONG"


def test_only_password_hashes_are_stored(host):
    acl = host.file("/etc/redis/mach/users.acl")
    assert acl.user == "root" and acl.group == "redis" and acl.mode == 0o640
    for name in ("admin", "replication", "sentinel", "exporter", "cart", "customer"):
        assert secret(f"redis-{name}") not in acl.content_string
    assert re.search(r"^user cart on #[0-9a-f]{64} ", acl.content_string, re.M)
    assert host.file("/etc/redis/mach/admin.auth").mode == 0o600


def test_service_users_are_confined_to_their_keys(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("once, against the master")
    master = master_of(host)
    assert cli(host, "cart", "SET cart:42 basket", master).stdout.strip() == "OK"
    denied = cli(host, "cart", "SET customer:42 x", master)
    assert "NOPERM" in denied.stdout + denied.stderr
    dangerous = cli(host, "cart", "FLUSHALL", master)
    assert "NOPERM" in dangerous.stdout + dangerous.stderr
    assert cli(host, "customer", "SET session:7 s", master).stdout.strip() == "OK"


def test_exporter_reads_statistics_and_nothing_else(host):
    """redis_exporter on every member logs in over TLS as the statistics-only ACL user: its
    Redis is up and its role known, its password only in the root-only file systemd reads,
    and that user can read no key nor change anything."""
    unit = host.service("prometheus-redis-exporter")
    assert unit.is_running and unit.is_enabled
    settings = host.file("/etc/default/prometheus-redis-exporter")
    assert (settings.user, settings.mode) == ("root", 0o600)
    metrics = host.check_output("curl -fsS -m 10 http://localhost:9121/metrics")
    assert "\nredis_up 1\n" in metrics
    assert re.search(r'^redis_instance_info\{.*role="(master|slave)"', metrics, re.M)
    assert "redis_connected_slaves" in metrics and "redis_memory_max_bytes" in metrics
    for command in ("GET cart:42", "SET x 1", "CONFIG SET maxmemory 1mb", "SCAN 0"):
        denied = cli(host, "exporter", command)
        assert "NOPERM" in denied.stdout + denied.stderr, command
    errors = host.check_output("journalctl -u prometheus-redis-exporter --no-pager -o cat")
    assert "NOPERM" not in errors


def test_configuration_is_read_only_to_redis_and_persistent(host):
    conf = host.file("/etc/redis/mach/redis.conf")
    assert conf.user == "root" and conf.mode == 0o640
    assert host.file("/etc/redis/mach").user == "root"
    admin = secret("redis-admin")
    assert cli(host, "admin", "CONFIG GET appendonly", password=admin).stdout.split() == [
        "appendonly",
        "yes",
    ]
    rewrite = cli(host, "admin", "CONFIG REWRITE", password=admin)
    assert "OK" not in rewrite.stdout, "Redis could rewrite the role's file"


def test_replication_reaches_every_zone(host):
    master = master_of(host)
    info = cli(host, "admin", "INFO replication", master).stdout
    assert "role:master" in info
    online = re.findall(r"^slave\d+:ip=([^,]+),.*state=online", info, re.M)
    assert sorted(online) == sorted(set(MEMBERS) - {master})
    if host.backend.get_hostname() != master:
        mine = cli(host, "admin", "INFO replication").stdout
        assert "role:slave" in mine and "master_link_status:up" in mine


def test_sentinels_agree_and_have_a_quorum(host):
    assert master_of(host) in MEMBERS
    quorum = sentinel(host, "SENTINEL CKQUORUM mach").stdout
    assert quorum.startswith("OK 3 usable Sentinels"), quorum
    unauthenticated = cli(host, None, "SENTINEL masters", port=26379)
    assert "NOAUTH" in unauthenticated.stdout + unauthenticated.stderr


def test_packages_came_from_the_mirror(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("the mirror's access log is on mol-a")
    log = host.check_output("cat /var/log/nginx/access.log")
    for name in ("mol-b", "mol-c"):
        address = host.check_output(f"getent hosts {name}").split()[0]
        assert any(
            line.startswith(address + " ") and "/redis-server_" in line for line in log.splitlines()
        ), name


def test_yy_rolling_restart_playbook_keeps_the_cluster(host):
    """The runbook's procedure: playbooks/redis.yml with mach_action=restart restarts every
    node one at a time (replicas first) and ends with every replica in sync and a quorum."""
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("once")
    import subprocess

    root = Path(__file__).resolve().parents[5]
    before = master_of(host)
    proc = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            # The scenario's whole inventory (groups and vars), not only the hosts file.
            str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent),
            str(root / "playbooks" / "redis.yml"),
            "-e",
            "mach_action=restart",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={**os.environ, "ANSIBLE_ROLES_PATH": str(root / "roles")},
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    order = re.findall(r"item=(mol-[abc]) redis-server", proc.stdout)
    assert order and order[-1] == before, proc.stdout[-3000:]
    info = cli(host, "admin", "INFO replication", master_of(host)).stdout
    assert len(re.findall(r"^slave\d+:.*state=online", info, re.M)) == 2
