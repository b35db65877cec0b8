"""Issue 4 drills for PostgreSQL on the converged local fleet: the primary's node is lost
under write load through the routers (as services connect), and the cluster is restored from
its pgBackRest backups in MinIO onto another member. Each prints its figures."""

import time

import pytest
import testinfra
from fleetlib import (
    HOSTS,
    PG_POOLED,
    minio_client,
    pg,
    platform_secret,
    playbook,
    report,
    vault_client,
)

from mach_ops.clusters import PATRONI_CA, frozen_node, new_patroni_leader, patroni_members

pytestmark = pytest.mark.fleet


def start_load(client, user, password, table):
    """Inserts into `table`, one connection each, through the routers and the pooler (as the
    services connect), as a transient unit on the client node; each acknowledged id is logged."""
    conninfo = f"{PG_POOLED} dbname=catalog user={user} connect_timeout=2"
    client.check_output("rm -f /tmp/pg-drill.acked /tmp/pg-drill.refused")
    # Each insert is bounded (timeout 5): one sent just as a node freezes would otherwise
    # wait for its answer as long as the kernel keeps the frozen peer's socket open.
    client.check_output(
        f"systemd-run --collect --unit=pg-drill-load --setenv=PGPASSWORD={password} "
        "bash -c 'for i in $(seq 1 2400); do "
        f'timeout 5 psql -X -q "{conninfo}" -c "insert into {table} values ($i)" '
        "2>>/tmp/pg-drill.refused && echo $i $(date +%s.%N) >> /tmp/pg-drill.acked; "
        "sleep 0.05; done'"
    )


def acknowledged(client):
    """{id: time acknowledged} of the load's inserts."""
    lines = client.check_output("cat /tmp/pg-drill.acked").splitlines()
    return {int(i): float(t) for i, t in (line.split() for line in lines)}


def test_primary_node_lost_under_write_load(fleet):
    """Freeze the Patroni primary's node (docker pause: every process on it stops, no packet
    is answered) while a service's Vault-issued login inserts rows through the routers and the
    pooler (port 5000 on every member): a synchronous standby leads within 30 s, the writes
    resume through the same address, no acknowledged commit is lost, and the old primary,
    thawed, rejoins as a replica."""
    creds = vault_client().read("database/creds/catalog")["data"]
    user, password = creds["username"], creds["password"]
    assert (
        pg(user, password, "CREATE TABLE IF NOT EXISTS failover_drill (id int)", "catalog").rc == 0
    )
    observer = testinfra.get_host("docker://mach-b1")
    state = patroni_members(observer)
    (old,) = [n for n, (role, _) in state.items() if role == "leader"]
    client = testinfra.get_host(f"docker://{next(h for h in HOSTS if h != old)}")
    watcher = next(h for h in HOSTS if h not in (old, client.backend.name))
    watch = testinfra.get_host(f"docker://{watcher}")
    start_load(client, user, password, "failover_drill")
    time.sleep(5)
    started = time.monotonic()
    try:
        with frozen_node(old) as frozen_at:
            new, took = new_patroni_leader(watch, old)
            led_at = time.time()
            time.sleep(20)  # the load goes on through the new primary a while
    finally:
        client.run("systemctl stop pg-drill-load")
    acked = acknowledged(client)
    # Read on the new leader by name: the thawed old primary still takes read-write sessions
    # until its Patroni's next loop demotes it, and it lacks the rows written after the
    # takeover (its commits would wait for a synchronous standby that no longer follows it).
    on_new = f"host={new} sslmode=verify-full sslrootcert={PATRONI_CA}"
    rows = pg(user, password, "SELECT id FROM failover_drill", "catalog", via=on_new)
    assert rows.rc == 0, rows.stderr
    lost = set(acked) - {int(x) for x in rows.stdout.split()}
    before = sum(t < frozen_at for t in acked.values())
    after = sum(t > led_at for t in acked.values())
    print(
        f"\npostgresql node-loss drill: {old} frozen, {new} leads after {took:.1f} s; "
        f"{len(acked)} inserts acknowledged through the routers ({before} before the freeze, "
        f"{after} after the takeover), {len(lost)} lost"
    )
    refused = client.run("sort /tmp/pg-drill.refused | uniq -c | sort -rn | head -5").stdout
    assert new != old and took < 30, refused
    assert before > 0 and after > 0 and not lost, f"the client's last errors:\n{refused}"
    deadline = time.monotonic() + 180
    while (
        patroni_members(watch).get(old, ("", ""))[1] not in ("streaming", "running")
        or patroni_members(watch).get(old, ("", ""))[0] == "leader"
    ):
        assert time.monotonic() < deadline, patroni_members(watch)
        time.sleep(2)
    rejoined_s = time.monotonic() - started
    print(f"postgresql node-loss drill: {old} rejoined as a replica {rejoined_s:.0f} s in")
    # Once the old primary is a replica (in recovery), the leader as clients find it has
    # every row too.
    on_old = f"host={old} sslmode=verify-full sslrootcert={PATRONI_CA}"
    while (
        pg(user, password, "SELECT pg_is_in_recovery()", "catalog", via=on_old).stdout.strip()
        != "t"
    ):
        assert time.monotonic() < deadline, f"{old} is not in recovery"
        time.sleep(2)
    rows = pg(user, password, "SELECT id FROM failover_drill", "catalog")
    assert rows.rc == 0 and not set(acked) - {int(x) for x in rows.stdout.split()}
    assert pg(user, password, "DROP TABLE failover_drill", "catalog").rc == 0


def test_rolling_restart_under_write_load(fleet):
    """mach_action=restart under the same load: every member's server restarts once, the
    replicas first and the leader last, through Patroni (no failover: the leader stays), and
    no acknowledged insert is lost."""
    superuser = platform_secret("postgresql")["data"]["superuser"]
    creds = vault_client().read("database/creds/catalog")["data"]
    user, password = creds["username"], creds["password"]
    assert pg(user, password, "CREATE TABLE restart_drill (id int)", "catalog").rc == 0
    watch = testinfra.get_host("docker://mach-b1")
    leader = next(n for n, (role, _) in patroni_members(watch).items() if role == "leader")

    def started_at():
        return {
            h: pg("postgres", superuser, "SELECT pg_postmaster_start_time()",
                  via=f"host={h} sslmode=verify-full sslrootcert={PATRONI_CA}").stdout.strip()
            for h in HOSTS
        }  # fmt: skip

    before = started_at()
    client = testinfra.get_host("docker://mach-a1")
    start_load(client, user, password, "restart_drill")
    time.sleep(3)
    began = time.monotonic()
    proc = playbook(
        "-i", "inventories/local", "playbooks/postgresql.yml", "-e", "mach_action=restart"
    )  # fmt: skip
    took = time.monotonic() - began
    time.sleep(3)
    client.run("systemctl stop pg-drill-load")
    assert proc.returncode == 0, report(proc)
    after = started_at()
    acked = acknowledged(client)
    rows = pg(user, password, "SELECT id FROM restart_drill", "catalog")
    lost = set(acked) - {int(x) for x in rows.stdout.split()}
    refused = client.run("wc -l < /tmp/pg-drill.refused").stdout.strip()
    print(
        f"\npostgresql rolling restart: 3 members in {took:.0f} s under load; {len(acked)} "
        f"inserts acknowledged, {refused} lines of refusals while a server restarted, "
        f"{len(lost)} lost"
    )
    assert all(after[h] and after[h] != before[h] for h in HOSTS), (before, after)
    assert not lost
    assert patroni_members(watch).get(leader, ("", ""))[0] == "leader"  # no failover
    assert pg(user, password, "DROP TABLE restart_drill", "catalog").rc == 0


def test_postgresql_restores_from_its_minio_backups(fleet):
    """Issue 4 drill: pgBackRest took a full backup into MinIO at deploy and archives WAL there.
    Rows written before a differential backup and rows written after it (in WAL only) all come
    back in a scratch instance restored from MinIO on another member; the counts match the
    cluster's; the repository is encrypted; nothing of the drill is left behind."""
    superuser = platform_secret("postgresql")["data"]["superuser"]
    ddl = "DROP TABLE IF EXISTS restore_drill; CREATE TABLE restore_drill (id int, note text)"
    fill = "INSERT INTO restore_drill SELECT g, md5(g::text) FROM generate_series({}, {}) g"
    assert pg("postgres", superuser, ddl).rc == 0
    assert pg("postgres", superuser, fill.format(1, 1000)).rc == 0
    backup = playbook(
        "-i", "inventories/local", "playbooks/postgresql.yml", "-e", "mach_action=backup",
        "-e", "postgresql_backup_type=diff",
    )  # fmt: skip
    assert backup.returncode == 0, report(backup)
    assert pg("postgres", superuser, fill.format(1001, 1500)).rc == 0
    # The check action switches WAL and waits until the repository has it, so the rows written
    # after the backup are archived, and it finds the backup recent.
    check = playbook(
        "-i", "inventories/local", "playbooks/postgresql.yml", "-e", "mach_action=check"
    )
    assert check.returncode == 0, report(check)
    live = pg("postgres", superuser, "SELECT count(*), sum(id) FROM restore_drill").stdout.strip()
    assert live == "1500|1125750"

    started = time.monotonic()
    restore = playbook(
        "-i", "inventories/local", "playbooks/postgresql.yml", "-e", "mach_action=restore",
        "-e", "postgresql_restore_host=mach-c1",
    )  # fmt: skip
    restore_s = time.monotonic() - started
    assert restore.returncode == 0, report(restore)
    node = testinfra.get_host("docker://mach-c1")
    query = (
        "runuser -u postgres -- psql -XAtq -p 5433 -c 'SELECT count(*), sum(id) FROM restore_drill'"
    )
    restored = node.check_output(query)
    print(f"\nrestore drill: {restored.split('|')[0]} rows restored from MinIO on mach-c1 "
          f"(the cluster has {live.split('|')[0]}), restore action {restore_s:.0f} s")  # fmt: skip
    assert restored == live

    keys = platform_secret("minio")["data"]
    root = minio_client("mach-admin", keys["root"])
    objects = [
        o.object_name for o in root.list_objects("pgbackrest", prefix="mach/", recursive=True)
    ]
    assert any(o.startswith("mach/archive/mach/") for o in objects), objects[:20]
    assert any(o.startswith("mach/backup/mach/") for o in objects), objects[:20]
    info = root.get_object("pgbackrest", "mach/backup/mach/backup.info").read()
    assert info.startswith(b"Salted__"), info[:40]  # AES-256, pgBackRest's cipher format

    removed = playbook(
        "-i", "inventories/local", "playbooks/postgresql.yml", "-e", "mach_action=restore",
        "-e", "postgresql_restore_host=mach-c1", "-e", "postgresql_restore_state=absent",
    )  # fmt: skip
    assert removed.returncode == 0, report(removed)
    assert not node.file("/var/lib/postgresql/restore").exists
    assert not node.socket("tcp://127.0.0.1:5433").is_listening
    assert pg("postgres", superuser, "DROP TABLE restore_drill").rc == 0
