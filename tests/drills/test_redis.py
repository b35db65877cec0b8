"""Issue 4 drill for Redis on the converged local fleet: the master is killed while a
service's login writes through Sentinel discovery (as services connect); Sentinel promotes a
replica, the client finds it and writes again, and the old master rejoins as a replica.
Prints its figures."""

import time

import pytest
import testinfra
from fleetlib import HOSTS, await_replicating, platform_secret, sentinel_master
from fleetlib import REDIS_CLI as CLI

pytestmark = pytest.mark.fleet


def test_master_killed_sentinel_promotes_and_clients_recover(fleet):
    """SIGKILL the master's redis-server and keep it down: the Sentinels (quorum 2) promote a
    replica within 30 s, a client that asks Sentinel for the master before each write writes
    again, and the old master, started again, replicates from the new one. Redis replicates
    asynchronously: writes acknowledged just before the kill may be lost (min-replicas-to-write
    bounds the window); the drill prints how many."""
    keys = platform_secret("redis")["data"]
    watch = testinfra.get_host("docker://mach-b1")
    old = sentinel_master(watch, keys["sentinel"])
    assert old in HOSTS
    client = testinfra.get_host(f"docker://{next(h for h in HOSTS if h != old)}")
    victim = testinfra.get_host(f"docker://{old}")
    client.check_output("rm -f /tmp/redis-drill.acked")
    client.check_output(
        "systemd-run --collect --unit=redis-drill-load "
        f"--setenv=S_AUTH={keys['sentinel']} --setenv=C_AUTH={keys['user_cart']} "
        "bash -c 'for i in $(seq 1 1500); do "
        f"m=$(REDISCLI_AUTH=$S_AUTH {CLI} -h localhost -p 26379 "
        "SENTINEL get-master-addr-by-name mach | head -n 1); "
        f'r=$(REDISCLI_AUTH=$C_AUTH {CLI} -h "$m" -p 6379 --user cart SET cart:drill:$i $i); '
        '[ "$r" = OK ] && echo $i $(date +%s.%N) $m >> /tmp/redis-drill.acked; '
        "sleep 0.05; done'"
    )
    time.sleep(5)
    victim.check_output(
        "systemctl kill --signal=SIGKILL redis-server && systemctl stop redis-server"
    )
    killed_at, started = time.time(), time.monotonic()
    try:
        new = old
        while new in (old, None) and time.monotonic() - started < 60:
            time.sleep(0.5)
            new = sentinel_master(client, keys["sentinel"])
        took = time.monotonic() - started
        deadline = time.monotonic() + 15  # writes go on through the new master a while
        while time.monotonic() < deadline:
            time.sleep(1)
    finally:
        client.run("systemctl stop redis-drill-load")
        victim.check_output("systemctl start redis-server")
    acked = [
        line.split() for line in client.check_output("cat /tmp/redis-drill.acked").splitlines()
    ]
    before = [a for a in acked if float(a[1]) < killed_at]
    after = [a for a in acked if float(a[1]) > killed_at and a[2] == new]
    written = [f"cart:drill:{a[0]}" for a in acked]
    kept = client.run(
        f"REDISCLI_AUTH='{keys['user_cart']}' {CLI} -h {new} -p 6379 --user cart "
        f"MGET {' '.join(f'cart:drill:{a[0]}' for a in before)}"
    ).stdout.splitlines()
    missing = sum(1 for v in kept if not v.strip())
    print(
        f"\nredis master-kill drill: {old} killed, Sentinel named {new} after {took:.1f} s; "
        f"{len(acked)} writes acknowledged ({len(before)} before the kill, {len(after)} to the "
        f"new master after it); {missing} of those before the kill missing on the new master"
    )
    assert new not in (old, None) and took < 30
    assert before and after
    await_replicating(victim, keys["admin"])
    rejoined_s = time.monotonic() - started
    print(f"redis master-kill drill: {old} replicates from {new} {rejoined_s:.0f} s in")
    client.run(
        f"REDISCLI_AUTH='{keys['user_cart']}' {CLI} -h {new} -p 6379 --user cart "
        f"DEL {' '.join(written)}"
    )
