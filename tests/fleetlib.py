"""The local fleet for the fleet-marked tests (tests/site, tests/drills): the session's one
converged fleet (create it, converge site.yml twice: the second run with -vvv) and the helpers
that run playbooks on it and read its secrets. The `fleet` fixture
(tests/conftest.py) runs it once per session for both directories.

Needs the project's Docker engine (make setup). A fleet that already ran before the session
(make up) is left running; one the session created is removed again (MACH_KEEP_FLEET=1 keeps it).
"""

import json
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import hvac
import testinfra
import urllib3
from minio import Minio

from conftest import run, tool
from mach_ops.runs import recap  # noqa: F401 (tests/site and tests/drills import it from here)
from mach_ops.testing import wait_for

HOSTS = ["mach-a1", "mach-b1", "mach-c1"]


def playbook(*args):
    # Only a hang should hit this: the first converge took up to 2488 s under both lanes' load
    # before Mitogen (docs/adr/0018); 1800 s is the likeliest cause of two landing CIs' failed
    # fleet lanes (their logs kept only the other lane's tail).
    proc = run([tool("ansible-playbook"), *args], timeout=3600)
    return proc


def report(proc, tail=3000):
    """What a failed run's assertion shows: every task that failed (its header and output, so
    an early failure is not cut off by a long run's end), then the end of the run."""
    tasks = re.split(r"\n(?=TASK \[|RUNNING HANDLER \[)", proc.stdout)
    failed = [t[:4000] for t in tasks if re.search(r"^(fatal|failed): ", t, re.M)]
    return "\n".join([*failed, "... end of the run:", proc.stdout[-tail:], proc.stderr[-2000:]])


def running_fleet():
    out = subprocess.run(
        ["docker", "ps", "--filter", "label=mach.fleet=local", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(out)


def converged_fleet():
    """What the `fleet` fixture yields: the two site.yml runs' results."""
    existed = running_fleet() == HOSTS
    create = playbook("molecule/fleet/create.yml")
    assert create.returncode == 0, create.stdout + create.stderr
    started = time.monotonic()
    first = playbook("-i", "inventories/local", "site.yml")
    first_s = time.monotonic() - started
    assert first.returncode == 0, report(first, 5000)
    # The pager and ticket systems' stand-in that the local Alertmanager posts to.
    sink = playbook("-i", "inventories/local", "molecule/fleet/receiver.yml")
    assert sink.returncode == 0, report(sink, 3000)
    started = time.monotonic()
    # -vvv: the run every task's arguments show in also proves that no secret does.
    second = playbook("-i", "inventories/local", "site.yml", "-vvv")
    second_s = time.monotonic() - started
    print(f"\nsite.yml on the local fleet: first run {first_s:.0f} s, second run {second_s:.0f} s")
    yield {"first": first, "second": second}
    if not existed and not os.environ.get("MACH_KEEP_FLEET"):
        playbook("molecule/fleet/destroy.yml")


STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))


def fleet_address(name: str) -> str:
    """The node's address on the fleet's network, as the controller reaches it (not the
    loopback-range one the search cluster uses, docs/adr/0016)."""
    addresses = testinfra.get_host(f"docker://{name}").check_output("hostname -I").split()
    return next(a for a in addresses if not a.startswith("127."))


def vault_client():
    """Vault as the controller reaches it, with the local fleet's root token (plaintext shares
    are allowed only in the local environment, docs/adr/0006)."""
    init = json.loads((STATE / "secrets" / "local" / "vault-init.json").read_text())
    pki = Path(os.environ.get("MACH_PKI_DIR", STATE / "pki"))
    address = fleet_address("mach-a1")
    return hvac.Client(
        url=f"https://{address}:8200",
        token=init["root_token"],
        verify=str(pki / "local" / "ca.crt"),
    )


def platform_secret(name: str) -> dict:
    """The current version of Vault KV secret/platform/<name>: {"data": ..., "metadata": ...}."""
    return vault_client().secrets.kv.v2.read_secret_version(
        path=f"platform/{name}", raise_on_deleted_version=True
    )["data"]


KAFKA_BOOTSTRAP = ",".join(f"{h}:9092" for h in HOSTS)


PG_LEADER = (
    "host=mach-a1,mach-b1,mach-c1 target_session_attrs=read-write sslmode=verify-full "
    "sslrootcert=/etc/patroni/tls/ca.crt"
)
# How the services connect: any member's router, to the primary's pooler (docs/adr/0014).
PG_POOLED = (
    "host=mach-a1,mach-b1,mach-c1 port=5000 sslmode=verify-full sslrootcert=/etc/patroni/tls/ca.crt"
)


def pg(user, password, sql, database="postgres", via=PG_LEADER):
    """psql on mach-b1 to whichever member leads (directly, or via=PG_POOLED through the
    routers and the pooler), over TLS verified against the internal CA."""
    node = testinfra.get_host("docker://mach-b1")
    return node.run(
        f"PGPASSWORD={shlex.quote(password)} psql -X -tA -v ON_ERROR_STOP=1 "
        f"{shlex.quote(f'{via} dbname={database} user={user}')} -c {shlex.quote(sql)}"
    )


def minio_client(access_key, secret_key, member="mach-b1"):
    """MinIO's S3 API as the controller reaches a member, TLS verified against the internal CA."""
    pki = Path(os.environ.get("MACH_PKI_DIR", STATE / "pki"))
    address = fleet_address(member)
    http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=str(pki / "local" / "ca.crt"))
    return Minio(f"{address}:9000", access_key, secret_key, secure=True, http_client=http)


REDIS_CLI = "timeout 3 redis-cli --tls --cacert /etc/redis/mach/tls/ca.crt --no-auth-warning"


def sentinel_master(node, password):
    """The Redis master's name as the Sentinel on `node` gives it (None if it cannot say)."""
    out = node.run(
        f"REDISCLI_AUTH='{password}' {REDIS_CLI} -h localhost -p 26379 "
        "SENTINEL get-master-addr-by-name mach"
    )
    return out.stdout.split()[0] if out.rc == 0 and out.stdout.split() else None


def await_replicating(node, admin_password, timeout=120):
    """Polls until Redis on `node` is a replica whose link to its master is up; the last INFO."""

    def replicating():
        info = node.run(
            f"REDISCLI_AUTH='{admin_password}' {REDIS_CLI} -h localhost -p 6379 --user admin "
            "INFO replication"
        ).stdout
        return info if "role:slave" in info and "master_link_status:up" in info else None

    return wait_for(replicating, timeout, f"Redis on {node.backend.hostname} replicating", 2)
