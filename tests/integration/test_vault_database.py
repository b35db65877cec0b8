"""Dynamic PostgreSQL credentials, against a real OpenBao and a real PostgreSQL 15: the
connection and roles are written once by mach.platform.vault_database_connection/_role, the
admin password is rotated into Vault, and an issued login really works - it reaches its own
service's database only, what it creates belongs to the service's owner role, and it is gone
when its lease is revoked."""

import json
import os
import subprocess
import time

import hvac
import pytest
from pgkit import SUPERUSER_PASSWORD, psql, start_postgresql
from vaultkit import TOKEN, literal, module, start_bao

from ansible_collections.mach.platform.plugins.filter.catalog import vault_postgresql_roles
from conftest import ROOT, run, tool

pytestmark = pytest.mark.artifacts
BOOTSTRAP = "vault-admin-bootstrap-pw"  # the admin login's first password, spent by rotate_root
DATABASES = [{"name": "catalog", "owner": "catalog"}, {"name": "orders", "owner": "order"}]


@pytest.fixture(scope="module")
def pg():
    with start_postgresql() as port:
        setup = [
            f"CREATE ROLE vault LOGIN CREATEROLE PASSWORD '{BOOTSTRAP}'",
            "GRANT pg_signal_backend TO vault",
        ]
        for db in DATABASES:  # what role postgresql does for each catalogue database
            setup += [
                f'CREATE ROLE "{db["owner"]}" NOLOGIN',
                f'CREATE DATABASE "{db["name"]}" OWNER "{db["owner"]}"',
                f'REVOKE CONNECT ON DATABASE "{db["name"]}" FROM PUBLIC',
            ]
        for sql in setup:
            done = psql(port, "postgres", SUPERUSER_PASSWORD, sql)
            assert done.returncode == 0, done.stderr
        yield port


@pytest.fixture(scope="module")
def bao():
    with start_bao(dev=True) as url:
        assert module(url, "vault_secrets_engine", {"path": "database", "type": "database"})[0] == 0
        yield url


def connection(pg, **extra):
    return {
        "name": "postgresql",
        "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:1,"
        f"127.0.0.1:{pg}/postgres?target_session_attrs=read-write",
        "username": "vault",
        "password": BOOTSTRAP,
        "allowed_roles": [db["owner"] for db in DATABASES],
        "rotate_root": True,
        "settings": {"password_authentication": "scram-sha-256"},
        **extra,
    }


def listed(url, path):
    body = hvac.Client(url=url, token=TOKEN).list(path) or {}
    return body.get("data", {}).get("keys", [])


def test_bad_connections_write_nothing(pg, bao):
    rc, res = module(bao, "vault_database_connection", connection(pg, password="wrong"))
    assert rc != 0 and "password authentication failed" in res["msg"]
    rc, res = module(bao, "vault_database_connection", {**connection(pg), "mount": "secret"})
    assert rc != 0 and "not a database secrets engine" in res["msg"]
    rc, res = module(bao, "vault_database_connection", connection(pg, update_password="always"))
    assert rc != 0 and "use update_password=on_create" in res["msg"]
    rc, res = module(bao, "vault_database_connection", connection(pg), "--check")
    assert rc == 0 and res["changed"] is True
    assert listed(bao, "database/config") == []


def test_connection_written_once_and_root_rotated(pg, bao):
    rc, res = module(bao, "vault_database_connection", connection(pg))
    assert rc == 0 and res["changed"] is True and res["rotated"] is True
    assert psql(pg, "vault", BOOTSTRAP, "SELECT 1").returncode != 0  # only Vault knows it now
    rc, res = module(bao, "vault_database_connection", connection(pg))
    assert rc == 0 and res["changed"] is False and res["rotated"] is False


def test_no_secret_in_verbose_output(pg, bao):
    proc = run(
        [tool("ansible"), "localhost", "-m", "mach.platform.vault_database_connection",
         "-a", json.dumps(literal({**connection(pg), "url": bao, "token": TOKEN})), "-vvv"],
        env={"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert BOOTSTRAP not in proc.stdout + proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr


def test_roles_written_once_and_only_for_a_connection_that_allows_them(pg, bao):
    catalog = vault_postgresql_roles(DATABASES)[0]
    rc, res = module(bao, "vault_database_role", {**catalog, "db_name": "nowhere"})
    assert rc != 0 and "create it first" in res["msg"]
    rc, res = module(bao, "vault_database_role", {**catalog, "name": "intruder"})
    assert rc != 0 and "does not allow role 'intruder'" in res["msg"]
    assert listed(bao, "database/roles") == []
    for role in vault_postgresql_roles(DATABASES):
        rc, res = module(bao, "vault_database_role", role)
        assert rc == 0 and res["changed"] is True, res
        rc, res = module(bao, "vault_database_role", {**role, "default_ttl": "3600"})
        assert rc == 0 and res["changed"] is False, res  # 1h == 3600
    rc, res = module(bao, "vault_database_role", {**catalog, "max_ttl": "48h"}, "--check")
    assert rc == 0 and res["changed"] is True
    assert res["diff"]["after"]["max_ttl"] == 172800


def test_issued_login_works_on_its_own_database_only_and_ends_with_its_lease(pg, bao):
    client = hvac.Client(url=bao, token=TOKEN)
    creds = client.read("database/creds/catalog")
    user, password = creds["data"]["username"], creds["data"]["password"]

    made = psql(pg, user, password, "CREATE TABLE product (id int); SELECT 1", "catalog")
    assert made.returncode == 0, made.stderr
    owner = psql(pg, "postgres", SUPERUSER_PASSWORD, "SELECT tableowner FROM pg_tables "
                 "WHERE tablename = 'product'", "catalog")  # fmt: skip
    assert owner.stdout.strip() == "catalog"  # the service owns it, not the short-lived login
    denied = psql(pg, user, password, "SELECT 1", "orders")
    assert denied.returncode != 0 and "permission denied" in denied.stderr

    # a session still open when the lease ends (a pooler's idle server connection) is ended
    held = subprocess.Popen(
        ["psql", "-X", "-h", "127.0.0.1", "-p", str(pg), "-U", user, "-d", "catalog",
         "-tAc", "SELECT pg_sleep(60)"],
        env={**os.environ, "PGPASSWORD": password}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and psql(
        pg, "postgres", SUPERUSER_PASSWORD,
        f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{user}'",
    ).stdout.strip() != "1":  # fmt: skip
        time.sleep(0.2)
    client.sys.revoke_lease(creds["lease_id"])
    assert held.wait(timeout=15) != 0
    assert "terminating connection" in held.stderr.read()
    assert psql(pg, user, password, "SELECT 1", "catalog").returncode != 0
    left = psql(pg, "postgres", SUPERUSER_PASSWORD,
                f"SELECT count(*) FROM pg_roles WHERE rolname = '{user}'")  # fmt: skip
    assert left.stdout.strip() == "0"


def test_connection_change_keeps_the_rotated_password(pg, bao):
    narrowed = connection(pg, allowed_roles=["catalog"])
    rc, res = module(bao, "vault_database_connection", narrowed)
    assert rc == 0 and res["changed"] is True and res["rotated"] is False
    assert res["connection"]["allowed_roles"] == ["catalog"]
    creds = hvac.Client(url=bao, token=TOKEN).read("database/creds/catalog")["data"]
    assert psql(pg, creds["username"], creds["password"], "SELECT 1", "catalog").returncode == 0


def test_revoke_playbook_ends_every_login_of_one_service(pg, bao, tmp_path):
    """playbooks/revoke_database_logins.yml (runbook database-logins-revoke): every login Vault
    issued to the service stops working, another service's keeps working, a second run finds
    nothing to do, and an unknown service is refused before anything is revoked."""
    assert module(bao, "vault_database_connection", connection(pg))[0] == 0  # both roles again
    client = hvac.Client(url=bao, token=TOKEN)
    mine = [client.read("database/creds/catalog")["data"] for _ in range(2)]
    theirs = client.read("database/creds/order")["data"]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "security:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
    )
    catalog = {"services": [{"name": "catalog", "database": "catalog"},
                            {"name": "order", "database": "orders"}]}  # fmt: skip

    def revoke(service, token=TOKEN):
        extra = {"mach_service": service, "mach_vault_url": bao, "mach_vault_token": token,
                 "mach_vault_ca_cert": "", "mach_catalog": catalog}  # fmt: skip
        return run([tool("ansible-playbook"), "-i", str(inventory),
                    "playbooks/revoke_database_logins.yml", "-e", json.dumps(extra)])  # fmt: skip

    refused = revoke("nobody")
    assert refused.returncode != 0 and "-e mach_service=<one of" in refused.stdout
    assert all(psql(pg, c["username"], c["password"], "SELECT 1", "catalog").returncode == 0
               for c in mine)  # fmt: skip

    wrong = revoke("catalog", token="not-a-token")
    assert wrong.returncode != 0 and "Permission Denied" in wrong.stdout, wrong.stdout[-2000:]

    done = revoke("catalog")
    assert done.returncode == 0, done.stdout[-3000:]
    for login in mine:
        assert psql(pg, login["username"], login["password"], "SELECT 1", "catalog").returncode
    ok = psql(pg, theirs["username"], theirs["password"], "SELECT 1", "orders")
    assert ok.returncode == 0, ok.stderr
    again = revoke("catalog")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
