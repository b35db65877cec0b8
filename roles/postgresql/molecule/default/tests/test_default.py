"""Role postgresql on three air-gapped nodes (internal network, mol-a is the mirror): etcd with
mutual TLS, a Patroni cluster with one leader and a synchronous standby, TLS-only scram
logins, a database per catalogue service that only its members may use, pooling and routing.
The node-loss drill runs on the converged local fleet (tests/drills/test_postgresql.py), with
Vault-issued logins through the routers: the same role, drilled once."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml

from mach_ops.molecule import node, secret

testinfra_hosts = ["ansible://all"]

ROOT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]).parent.parent
MEMBERS = ["mol-a", "mol-b", "mol-c"]
CA = "/etc/patroni/tls/ca.crt"
ETCD_TLS = "/etc/etcd/tls"


def cluster(host) -> dict:
    out = host.check_output(f"curl -sS -m 5 --cacert {CA} https://localhost:8008/cluster")
    return json.loads(out)


def roles(host) -> dict[str, tuple[str, str]]:
    return {m["name"]: (m["role"], m["state"]) for m in cluster(host)["members"]}


def leader(host) -> str:
    (name,) = [n for n, (role, _) in roles(host).items() if role == "leader"]
    return name


def psql(
    host,
    user: str,
    db: str,
    sql: str,
    target: str = "",
    sslmode: str = "verify-full",
    port: int = 5432,
):
    target = target or host.backend.get_hostname()
    conninfo = (
        f"host={target} port={port} dbname={db} user={user} sslmode={sslmode} "
        f"sslrootcert={CA} connect_timeout=5"
    )
    return host.run(
        f"PGPASSWORD={secret(f'pg-{user}')} psql -X -A -t -v ON_ERROR_STOP=1 "
        f"'{conninfo}' -c \"{sql}\""
    )


def test_units_run_and_listen(host):
    for unit in ("etcd", "patroni"):
        assert host.service(unit).is_running, unit
        assert host.service(unit).is_enabled, unit
    for port in (5432, 8008, 2379, 2380):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    assert not host.service("postgresql@15-main").is_running  # Debian made no default cluster
    key = host.file("/etc/patroni/tls/postgresql.key")
    assert (key.user, key.mode) == ("postgres", 0o600)
    assert host.file("/etc/patroni/config.yml").mode == 0o600


def test_etcd_cluster_healthy_and_requires_client_certificates(host):
    endpoints = ",".join(f"https://{m}:2379" for m in MEMBERS)
    tls = f"--cacert={ETCD_TLS}/ca.crt --cert={ETCD_TLS}/etcd.crt --key={ETCD_TLS}/etcd.key"
    health = host.run(f"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {tls} endpoint health")
    assert (
        health.rc == 0
        and health.stderr.count("is healthy") + health.stdout.count("is healthy") == 3
    ), health.stdout + health.stderr
    members = host.check_output(f"ETCDCTL_API=3 etcdctl --endpoints={endpoints} {tls} member list")
    assert sorted(line.split(", ")[2] for line in members.splitlines()) == MEMBERS
    anonymous = host.run(
        f"ETCDCTL_API=3 etcdctl --endpoints=https://{host.backend.get_hostname()}:2379 "
        f"--cacert={ETCD_TLS}/ca.crt --command-timeout=5s endpoint health"
    )
    assert anonymous.rc != 0  # no client certificate: refused


def replication(primary: str) -> dict[str, tuple[str, str]]:
    """pg_stat_replication on the leader: {standby: (state, sync_state)}."""
    rows = node(primary).check_output(
        "runuser -u postgres -- psql -X -A -t -F ' ' -c "
        '"select application_name, state, sync_state from pg_stat_replication"'
    )
    return {name: (state, sync) for name, state, sync in (r.split() for r in rows.splitlines())}


def test_one_leader_one_synchronous_standby_all_streaming(host):
    state = roles(host)
    assert sorted(state) == MEMBERS
    assert sorted(r for r, _ in state.values()) == ["leader", "replica", "sync_standby"]
    primary = leader(host)
    streams = replication(primary)
    assert sorted(streams) == sorted(m for m in MEMBERS if m != primary)
    assert all(s == "streaming" for s, _ in streams.values())
    (sync,) = [n for n, (r, _) in state.items() if r == "sync_standby"]
    assert streams[sync][1] == "sync"
    listed = host.check_output("/usr/local/sbin/patroni-admin list")
    assert "Leader" in listed and "Sync Standby" in listed


def test_tls_is_required_and_logins_use_scram(host):
    denied = psql(host, "catalog_app", "catalog", "select 1", sslmode="disable")
    assert denied.rc != 0 and "no encryption" in denied.stderr, denied.stderr
    ok = psql(
        host, "catalog_app", "catalog", "select ssl from pg_stat_ssl where pid = pg_backend_pid()"
    )
    assert ok.rc == 0 and ok.stdout.strip() == "t", ok.stderr
    method = node(leader(host)).check_output(
        "runuser -u postgres -- psql -X -A -t -c "
        "\"select rolpassword like 'SCRAM-SHA-256$%' from pg_authid where rolname = 'catalog_app'\""
    )
    assert method == "t"


def test_a_database_per_catalogue_service_only_for_its_members(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    catalog = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())
    want = {s["database"]: s["name"] for s in catalog["services"]}
    primary = node(leader(host))
    rows = primary.check_output(
        "runuser -u postgres -- psql -X -A -t -F ' ' -c "
        '"select datname, pg_get_userbyid(datdba) from pg_database where not datistemplate '
        "and datname <> 'postgres'\""
    )
    assert dict(line.split(" ") for line in rows.splitlines()) == want
    assert psql(host, "catalog_app", "catalog", "select 1").rc == 0
    foreign = psql(host, "catalog_app", "order", "select 1")
    assert foreign.rc != 0 and "permission denied for database" in foreign.stderr
    assert psql(host, "order_app", "order", "select 1").rc == 0


def test_exporter_logs_in_without_a_password_and_reads_every_database(host):
    """postgres_exporter on every member: peer login over the socket as a pg_monitor member
    (its settings hold no password), statistics of every service database; the mapping admits
    OS user prometheus only."""
    unit = host.service("prometheus-postgres-exporter")
    assert unit.is_running and unit.is_enabled
    settings = host.file("/etc/default/prometheus-postgres-exporter").content_string
    (dsn,) = [line for line in settings.splitlines() if line.startswith("DATA_SOURCE_NAME=")]
    assert "host=/var/run/postgresql " in dsn and "password" not in dsn.lower(), dsn
    metrics = host.check_output("curl -fsS -m 10 http://localhost:9187/metrics")
    assert "\npg_up 1\n" in metrics
    numbackends = [m for m in metrics.splitlines() if m.startswith("pg_stat_database_numbackends{")]
    assert any('datname="catalog"' in m for m in numbackends), numbackends
    # Another OS user cannot take the exporter's login.
    other = host.run(
        "runuser -u nobody -- psql -X -h /var/run/postgresql -U postgres_exporter -d postgres "
        "-c 'select 1'"
    )
    assert other.rc != 0


def test_pooler_and_router_run_on_every_member(host):
    for unit in ("pgbouncer", "postgresql-router"):
        assert host.service(unit).is_running, unit
        assert host.service(unit).is_enabled, unit
    for port in (6432, 5000, 5001):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    assert host.socket("tcp://127.0.0.1:8404").is_listening
    # no password is kept for the pooler: logins are looked up in PostgreSQL
    assert host.file("/etc/pgbouncer/userlist.txt").size == 0
    ini = host.file("/etc/pgbouncer/pgbouncer.ini")
    assert (ini.user, ini.group, ini.mode) == ("root", "postgres", 0o640)


def test_routers_send_writes_to_the_primary_and_reads_to_replicas(host):
    """Through any member's router, port 5000 reaches the primary's pooler and 5001 a replica's;
    the pooler's certificate passes verify-full under every member's name."""
    for router in MEMBERS:
        rw = psql(host, "catalog_app", "catalog", "select pg_is_in_recovery()", router, port=5000)
        assert rw.rc == 0 and rw.stdout.strip() == "f", (router, rw.stderr)
        ro = psql(host, "catalog_app", "catalog", "select pg_is_in_recovery()", router, port=5001)
        assert ro.rc == 0 and ro.stdout.strip() == "t", (router, ro.stderr)


def test_pooler_refuses_plaintext_superusers_and_foreign_databases(host):
    plain = psql(host, "catalog_app", "catalog", "select 1", sslmode="disable", port=5000)
    assert plain.rc != 0 and "SSL required" in plain.stderr, plain.stderr
    # refused by the pooler itself, before any server login is tried: the lookup returns
    # nothing for a superuser or for a database the login may not connect to
    superuser = psql(host, "postgres", "catalog", "select 1", port=5000)
    assert superuser.rc != 0 and "no such user" in superuser.stderr, superuser.stderr
    foreign = psql(host, "catalog_app", "order", "select 1", port=5000)
    assert foreign.rc != 0 and "no such user" in foreign.stderr, foreign.stderr
    wrong = host.run(
        "PGPASSWORD=wrong-password psql -X -A -t 'host=localhost port=5000 dbname=catalog "
        f"user=catalog_app sslmode=verify-full sslrootcert={CA}' -c 'select 1'"
    )
    assert wrong.rc != 0 and "SASL authentication failed" in wrong.stderr, wrong.stderr


def test_many_clients_share_a_few_server_connections(host):
    """40 clients at once through the router, each holding a transaction for 2 s: they all
    finish, over no more server connections than the pool allows (10, plus a reserve of 2)."""
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    primary = node(leader(host))
    conninfo = (
        "host=mol-a port=5000 dbname=catalog user=catalog_app "
        f"sslmode=verify-full sslrootcert={CA} connect_timeout=10"
    )
    host.check_output("rm -f /tmp/pooled")
    host.check_output(
        f"systemd-run --unit=pg-pool-load --setenv=PGPASSWORD={secret('pg-catalog_app')} "
        "bash -c 'for i in $(seq 1 40); do "
        f'(psql -X -q -A -t "{conninfo}" -c "select pg_sleep(2)" && echo $i >> /tmp/pooled) & '
        "done; wait'"
    )
    peak, deadline = 0, time.monotonic() + 90
    while host.service("pg-pool-load").is_running and time.monotonic() < deadline:
        count = primary.check_output(
            'runuser -u postgres -- psql -X -A -t -c "select count(*) from pg_stat_activity '
            "where usename = 'catalog_app' and backend_type = 'client backend'\""
        )
        peak = max(peak, int(count))
        time.sleep(0.3)
    done = host.check_output("cat /tmp/pooled").split()
    print(f"\npooler: 40 clients served, {len(done)} finished, peak {peak} server connections")
    assert len(done) == 40
    assert 0 < peak <= 12


def test_writes_on_the_leader_reach_every_replica(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("one cluster-wide check")
    primary = leader(host)
    setup = psql(
        host,
        "catalog_app",
        "catalog",
        "create table if not exists replicated (id int primary key); "
        "insert into replicated values (42) on conflict do nothing",
        target=primary,
    )
    assert setup.rc == 0, setup.stderr
    for replica in (m for m in MEMBERS if m != primary):
        deadline = time.monotonic() + 30
        seen = ""
        while seen != "42" and time.monotonic() < deadline:
            seen = psql(host, "catalog_app", "catalog", "select id from replicated", replica).stdout
            seen = seen.strip()
            time.sleep(0.5)
        assert seen == "42", replica
        readonly = psql(
            host, "catalog_app", "catalog", "insert into replicated values (1)", replica
        )
        assert readonly.rc != 0 and "read-only transaction" in readonly.stderr
