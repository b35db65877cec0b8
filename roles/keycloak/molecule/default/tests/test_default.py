"""Role keycloak on two air-gapped members (mol-b, mol-c; mol-a is the mirror and holds the
database): HTTPS only with the internal CA, one issuer for the cluster, both members in one
cluster view, a change made through one member seen at once by the other (cache invalidation
over the cluster, not a database poll), a token one member issued accepted by the other, the
database reached over TLS, a member's loss survived, and the role's actions."""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path

import pytest

from mach_ops import runs
from mach_ops.molecule import curl, node, playbook, secret

testinfra_hosts = ["ansible://security"]

SCENARIO = Path(__file__).resolve().parent.parent
MEMBERS = ["mol-b", "mol-c"]
ISSUER_BASE = "https://mol-b:8443"
CA = "/etc/keycloak/tls/ca.crt"
REALM = "molecule"
HOME = "/opt/keycloak/current"


def call(name: str, method: str, path: str, token: str = "", form=None, body=None):
    """An HTTPS request from member `name` to its own Keycloak; (status, parsed JSON or text)."""
    args = ["--cacert", CA, "-X", method, "--max-time", "20"]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if form is not None:
        args += ["--data", urllib.parse.urlencode(form)]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    return curl(name, *args, f"https://{name}:8443{path}")


def admin_token(name: str) -> str:
    status, answer = call(
        name,
        "POST",
        "/realms/master/protocol/openid-connect/token",
        form={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": secret("keycloak-admin"),
        },
    )
    assert status == 200, answer
    return str(answer["access_token"])  # type: ignore[index]


def client_grant(name: str, secret_value: str):
    """A client-credentials grant for the scenario's client at member `name`."""
    return call(
        name,
        "POST",
        f"/realms/{REALM}/protocol/openid-connect/token",
        form={
            "grant_type": "client_credentials",
            "client_id": "probe",
            "client_secret": secret_value,
        },
    )


def metric(name: str, series: str) -> float:
    text = node(name).check_output("curl -sS --max-time 10 http://127.0.0.1:9990/metrics")
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(series + " ") or line.startswith(series + "{")
    ]
    assert values, f"{series} not exported"
    return max(values)


def action(name: str, *extra: str):
    return playbook(SCENARIO / "action.yml", "-e", f"mach_action={name}", *extra)


def test_runs_as_its_user_with_its_secrets_private(host):
    assert host.service("keycloak").is_running
    assert host.service("keycloak").is_enabled
    assert host.process.get(comm="java", user="keycloak")
    env = host.file("/etc/keycloak/keycloak.env")
    assert (env.user, env.group, env.mode) == ("root", "root", 0o600)
    conf = host.file("/etc/keycloak/keycloak.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "keycloak", 0o640)
    for password in (secret("keycloak-db"), secret("keycloak-admin")):
        assert password not in conf.content_string
    key = host.file("/etc/keycloak/tls/keycloak.key")
    assert (key.user, key.mode) == ("keycloak", 0o600)
    # Installed from the mirror, built once for the role's build options.
    assert host.file("/opt/keycloak/current").linked_to == "/opt/keycloak/keycloak-26.7.3"
    stamp = json.loads(host.file(f"{HOME}/lib/quarkus/mach-build-options.json").content_string)
    assert stamp["db"] == "postgres" and stamp["metrics-enabled"] == "true"


def test_https_only_with_the_internal_ca_and_one_issuer(host):
    name = host.backend.get_hostname()
    status, discovery = call(name, "GET", "/realms/master/.well-known/openid-configuration")
    assert status == 200
    # Every member names the cluster's address, not its own.
    assert discovery["issuer"] == f"{ISSUER_BASE}/realms/master"  # type: ignore[index]
    assert host.socket("tcp://0.0.0.0:8443").is_listening
    assert not host.socket("tcp://0.0.0.0:8080").is_listening
    plain = host.run(f"curl -sS --max-time 5 http://{name}:8443/")
    assert plain.rc != 0 or "400" in plain.stdout or plain.stdout == ""
    # The management interface: health and metrics, plain HTTP on its own port.
    health = json.loads(
        host.check_output("curl -sS --max-time 10 http://127.0.0.1:9990/health/ready")
    )
    assert health["status"] == "UP"
    assert {c["name"] for c in health["checks"]} >= {
        "Keycloak cluster health check",
        "Keycloak database connections async health check",
    }


def test_both_members_in_one_cluster_view(host):
    name = host.backend.get_hostname()
    assert metric(name, "vendor_cluster_size") == len(MEMBERS)
    # The pool gauge KeycloakDatabaseConnectionsWaiting reads.
    assert metric(name, "agroal_awaiting_count") == 0


def test_database_is_reached_over_tls():
    db = node("mol-a")
    out = db.check_output(
        'sudo -u postgres psql -XAtc "select count(*), count(*) filter (where s.ssl) '
        "from pg_stat_activity a join pg_stat_ssl s using (pid) where a.usename = 'keycloak'\""
    )
    total, encrypted = (int(x) for x in out.split("|"))
    assert total > 0 and total == encrypted, out


@pytest.fixture(scope="module")
def probe():
    """A realm with a confidential client, created through mol-b's admin API; its secret."""
    token = admin_token("mol-b")
    status, _ = call("mol-b", "DELETE", f"/admin/realms/{REALM}", token)
    assert status in (204, 404)
    realm = {"realm": REALM, "enabled": True}
    status, answer = call("mol-b", "POST", "/admin/realms", token, body=realm)
    assert status == 201, answer
    client = {
        "clientId": "probe",
        "publicClient": False,
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        # Its own tokens name it as audience, so it may introspect them.
        "protocolMappers": [
            {
                "name": "audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {"included.client.audience": "probe", "access.token.claim": "true"},
            }
        ],
    }
    status, answer = call("mol-b", "POST", f"/admin/realms/{REALM}/clients", token, body=client)
    assert status == 201, answer
    status, found = call("mol-b", "GET", f"/admin/realms/{REALM}/clients?clientId=probe", token)
    uuid = found[0]["id"]  # type: ignore[index]
    path = f"/admin/realms/{REALM}/clients/{uuid}/client-secret"
    status, creds = call("mol-b", "GET", path, token)
    yield uuid, creds["value"]  # type: ignore[index]
    call("mol-b", "DELETE", f"/admin/realms/{REALM}", admin_token("mol-b"))


def test_a_token_from_one_member_is_accepted_by_the_other(probe):
    _, value = probe
    status, grant = client_grant("mol-c", value)
    assert status == 200, grant
    token = grant["access_token"]  # type: ignore[index]
    # Introspected at the other member: signed with the realm's key, which both share.
    status, info = call(
        "mol-b",
        "POST",
        f"/realms/{REALM}/protocol/openid-connect/token/introspect",
        form={"token": token, "client_id": "probe", "client_secret": value},
    )
    assert status == 200 and info["active"] is True, info  # type: ignore[index]
    assert info["iss"] == f"{ISSUER_BASE}/realms/{REALM}"  # type: ignore[index]


def test_a_change_through_one_member_is_seen_at_once_by_the_other(probe):
    """mol-c has the client in its realm cache (the grant above and this one); disabling it
    through mol-b must reach mol-c's cache by the cluster's invalidation, not by expiry."""
    uuid, value = probe
    assert client_grant("mol-c", value)[0] == 200
    token = admin_token("mol-b")
    status, _ = call(
        "mol-b", "PUT", f"/admin/realms/{REALM}/clients/{uuid}", token,
        body={"clientId": "probe", "enabled": False},
    )  # fmt: skip
    assert status == 204
    status, answer = client_grant("mol-c", value)
    assert status in (400, 401), answer
    call(
        "mol-b", "PUT", f"/admin/realms/{REALM}/clients/{uuid}", token,
        body={"clientId": "probe", "enabled": True},
    )  # fmt: skip
    assert client_grant("mol-c", value)[0] == 200


def test_check_action_changes_nothing_and_logs_no_password():
    run = action("check", "-vvv")
    assert run.returncode == 0, run.stdout[-3000:]
    recap = runs.recap(run.stdout)
    assert sorted(recap) == MEMBERS
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap
    for password in (secret("keycloak-db"), secret("keycloak-admin")):
        assert password not in run.stdout + run.stderr


def test_wrong_input_fails_before_any_change():
    weak = action("deploy", "-e", "keycloak_db_password=Tiny9pw")
    said = " ".join(runs.plain(weak.stdout + weak.stderr).split())
    assert weak.returncode != 0 and "at least 16 characters" in said
    assert "changed: [" not in weak.stdout
    assert "Tiny9pw" not in weak.stdout + weak.stderr
    url = action("deploy", "-e", "keycloak_db_url=postgresql://mol-a/keycloak")
    said = " ".join(runs.plain(url.stdout + url.stderr).split())
    assert url.returncode != 0 and "must be a PostgreSQL JDBC URL" in said
    assert "changed: [" not in url.stdout


def test_a_member_lost_and_back(probe):
    """mol-b stops: mol-c keeps issuing tokens and sees a cluster of one; mol-b restarts
    (mach_action=restart polls its readiness) and the view is whole again."""
    _, value = probe
    mol_b = node("mol-b")
    mol_b.check_output("systemctl stop keycloak")
    try:
        assert client_grant("mol-c", value)[0] == 200
        deadline = time.monotonic() + 60
        while metric("mol-c", "vendor_cluster_size") != 1 and time.monotonic() < deadline:
            time.sleep(2)
        assert metric("mol-c", "vendor_cluster_size") == 1
    finally:
        run = action("restart", "--limit", "mol-b")
    assert run.returncode == 0, run.stdout[-3000:]
    deadline = time.monotonic() + 60
    while metric("mol-c", "vendor_cluster_size") != 2 and time.monotonic() < deadline:
        time.sleep(2)
    assert metric("mol-b", "vendor_cluster_size") == metric("mol-c", "vendor_cluster_size") == 2
    assert client_grant("mol-b", value)[0] == 200
