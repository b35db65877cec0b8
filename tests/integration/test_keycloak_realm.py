"""mach.platform.keycloak_realm against a real Keycloak (the bundle's keycloak-quarkus-dist,
started in dev mode) and a real OpenBao: the realm spec applies once and then changes nothing,
check mode writes nothing, a bad spec writes nothing, and each confidential client's secret
lands in Vault KV (read before write) and really authenticates the client. Last, the catalog
service (services/catalog, under uvicorn from its own venv, in production mode) checks the
realm's real tokens: the role granted by the spec lets a client write, and revoking it in the
spec stops the next token."""

import base64
import json
import os
import subprocess
import urllib.parse
import urllib.request
import zipfile

import pytest
import yaml
from pgkit import SUPERUSER_PASSWORD, psql, start_postgresql
from vaultkit import BUNDLE, TOKEN, _free_port, await_http, module, start_bao

from ansible_collections.mach.platform.plugins.filter.catalog import (
    catalog_keycloak_clients,
    catalog_keycloak_roles,
)
from conftest import ROOT, run, tool
from mach_ops.artifacts import load_manifest

pytestmark = pytest.mark.artifacts
ADMIN_PASSWORD = "kc-integration-admin"  # a throwaway dev server's bootstrap admin


@pytest.fixture(scope="module")
def keycloak(tmp_path_factory):
    (a,) = [
        a
        for a in load_manifest(ROOT / "artifacts" / "manifest.yml").artifacts
        if a.name == "keycloak"
    ]
    (zname,) = a.files
    home = tmp_path_factory.mktemp("keycloak")
    with zipfile.ZipFile(BUNDLE / a.directory / zname) as z:
        z.extractall(home)
    kc = home / f"keycloak-{a.version}" / "bin" / "kc.sh"
    kc.chmod(0o755)
    port = _free_port()
    env = {
        **os.environ,
        "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # A throwaway dev server: the client compiler alone starts it on
        # much less CPU (the test suite is CPU-bound on its 2 cores).
        "JAVA_OPTS_APPEND": "-XX:TieredStopAtLevel=1",
    }
    proc = subprocess.Popen(
        [str(kc), "start-dev", f"--http-port={port}", "--http-management-port=0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    await_http(f"{url}/realms/master", proc, 240, "Keycloak")
    yield url
    proc.terminate()
    proc.wait(timeout=60)


@pytest.fixture(scope="module")
def bao():
    with start_bao(dev=True) as url:
        yield url


SPEC = {
    "realm": "mach",
    "settings": {"display_name": "MACH", "brute_force_protected": True},
    "roles": [{"name": "platform-admin", "description": "everything"}, {"name": "viewer"}],
    "groups": [{"name": "operators", "realm_roles": ["platform-admin", "viewer"]}],
    "client_scopes": [
        {"name": "services", "description": "calls between services", "audiences": ["vault"]}
    ],
    "clients": [
        {"client_id": "catalog", "service_accounts": True, "default_client_scopes": ["services"]},
        {"client_id": "grafana", "redirect_uris": ["https://grafana.mach.test/*"]},
        {"client_id": "web", "confidential": False, "redirect_uris": ["https://shop.mach.test/*"]},
        {"client_id": "order", "service_accounts": True, "default_client_scopes": ["services"]},
    ],
}


def apply(keycloak, bao, spec, *flags, rotate=()):
    args = {
        "rotate_client_secrets": list(rotate),
        "auth_keycloak_url": keycloak,
        "auth_username": "admin",
        "auth_password": ADMIN_PASSWORD,
        "vault_url": bao,
        "vault_token": TOKEN,
        "vault_kv_mount": "secret",
        "spec": spec,
    }
    return module(bao, "keycloak_realm", args, *flags)


def admin_token(keycloak):
    """The bootstrap admin's token (realm master)."""
    body = urllib.parse.urlencode(
        {"grant_type": "password", "client_id": "admin-cli", "username": "admin",
         "password": ADMIN_PASSWORD}
    ).encode()  # fmt: skip
    with urllib.request.urlopen(
        f"{keycloak}/realms/master/protocol/openid-connect/token", body, timeout=10
    ) as resp:
        return json.load(resp)["access_token"]


def realms(keycloak):
    req = urllib.request.Request(
        f"{keycloak}/admin/realms", headers={"Authorization": f"Bearer {admin_token(keycloak)}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return {r["realm"] for r in json.load(resp)}


def kv(bao, path):
    req = urllib.request.Request(f"{bao}/v1/secret/data/{path}", headers={"X-Vault-Token": TOKEN})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)["data"]


def test_bad_spec_is_refused_whole_and_writes_nothing(keycloak, bao):
    bad = {
        **SPEC,
        "clients": [{**SPEC["clients"][0], "redirect_uri": ["x"]}],
        "groups": [{"name": "operators", "realm_roles": ["nobody"]}],
    }
    rc, res = apply(keycloak, bao, bad)
    assert rc != 0
    assert "spec.clients[0].redirect_uri: unknown field" in res["msg"]
    assert "spec.groups[0].realm_roles: 'nobody' is not in spec.roles" in res["msg"]
    assert "mach" not in realms(keycloak)


def test_check_mode_predicts_and_writes_nothing(keycloak, bao):
    rc, res = apply(keycloak, bao, SPEC, "--check")
    assert rc == 0 and res["changed"] is True
    assert "create realm mach" in res["actions"] and "create client catalog" in res["actions"]
    assert "mach" not in realms(keycloak)


def test_apply_then_nothing_changes_and_secrets_authenticate(keycloak, bao):
    rc, res = apply(keycloak, bao, SPEC)
    assert rc == 0 and res["changed"] is True, res
    assert "write secret of client catalog to secret/keycloak/mach/catalog" in res["actions"]
    assert not any("web" in a and "secret" in a for a in res["actions"])  # public client
    rc, res = apply(keycloak, bao, SPEC)
    assert rc == 0 and res["changed"] is False and res["actions"] == []

    stored = kv(bao, "keycloak/mach/catalog")
    assert stored["metadata"]["version"] == 1  # read before write: not rewritten
    secret = stored["data"]["client_secret"]
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": "catalog", "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(
        f"{keycloak}/realms/mach/protocol/openid-connect/token", body, timeout=10
    ) as resp:
        assert json.load(resp)["token_type"].lower() == "bearer"


def client_token(keycloak, client_id, secret):
    """A client-credentials token, or the HTTP status Keycloak refused it with."""
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    try:
        with urllib.request.urlopen(
            f"{keycloak}/realms/mach/protocol/openid-connect/token", body, timeout=10
        ) as resp:
            return json.load(resp)["token_type"].lower()
    except urllib.error.HTTPError as exc:
        return exc.code


def test_rotating_a_client_secret_updates_vault_in_one_run(keycloak, bao):
    old = kv(bao, "keycloak/mach/catalog")
    rc, res = apply(keycloak, bao, SPEC, "--check", rotate=["catalog"])
    assert rc == 0 and res["actions"] == ["rotate secret of client catalog"]
    assert kv(bao, "keycloak/mach/catalog") == old  # check mode rotated nothing

    rc, res = apply(keycloak, bao, SPEC, rotate=["catalog"])
    assert rc == 0 and res["actions"] == [
        "rotate secret of client catalog",
        "write secret of client catalog to secret/keycloak/mach/catalog",
    ]
    new = kv(bao, "keycloak/mach/catalog")
    assert new["metadata"]["version"] == old["metadata"]["version"] + 1
    assert new["data"]["client_secret"] != old["data"]["client_secret"]
    assert client_token(keycloak, "catalog", new["data"]["client_secret"]) == "bearer"
    assert client_token(keycloak, "catalog", old["data"]["client_secret"]) == 401
    assert apply(keycloak, bao, SPEC)[1]["changed"] is False


def access_token(keycloak, client_id, secret, realm="mach"):
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(
        f"{keycloak}/realms/{realm}/protocol/openid-connect/token", body, timeout=10
    ) as resp:
        return json.load(resp)["access_token"]


def vault_login(bao, role, jwt):
    """auth/jwt/login with a Keycloak token: (HTTP status, body)."""
    req = urllib.request.Request(
        f"{bao}/v1/auth/jwt/login", json.dumps({"role": role, "jwt": jwt}).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_services_log_in_to_vault_with_their_keycloak_tokens(keycloak, bao):
    """Vault's JWT auth trusts the realm (discovery from Keycloak itself): the catalog
    service's client-credentials token logs in to role catalog with its policy, the order
    service's token is refused there; written once, then nothing changes."""
    assert module(bao, "vault_auth_method", {"path": "jwt", "type": "jwt"})[0] == 0
    issuer = f"{keycloak}/realms/mach"
    args = {
        "path": "jwt",
        "config": {"oidc_discovery_url": issuer, "bound_issuer": issuer},
        "roles": [
            {
                "name": "catalog",
                "role_type": "jwt",
                "bound_audiences": ["vault"],  # the realm spec's services scope adds it
                "bound_claims": {"azp": "catalog"},
                "user_claim": "azp",
                "token_policies": ["svc-catalog"],
                "token_ttl": "15m",
            }
        ],
    }
    rc, res = module(bao, "vault_oidc_auth", args, "--check")
    assert rc == 0 and res["changes"] == ["config", "role catalog"]
    rc, res = module(bao, "vault_oidc_auth", args)
    assert rc == 0 and res["changes"] == ["config", "role catalog"], res
    rc, res = module(bao, "vault_oidc_auth", {**args, "roles": [{**args["roles"][0],
                                                               "token_ttl": 900}]})  # fmt: skip
    assert rc == 0 and res["changed"] is False, res  # 15m == 900 s

    secret = kv(bao, "keycloak/mach/catalog")["data"]["client_secret"]
    jwt = access_token(keycloak, "catalog", secret)
    status, body = vault_login(bao, "catalog", jwt)
    claims = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))
    assert status == 200, (body, claims)
    assert body["auth"]["policies"] == ["default", "svc-catalog"]
    assert body["auth"]["lease_duration"] == 900
    other = kv(bao, "keycloak/mach/order")["data"]["client_secret"]
    status, body = vault_login(bao, "catalog", access_token(keycloak, "order", other))
    assert status in (400, 403) and "claim" in json.dumps(body), body


def test_oidc_auth_refuses_a_wrong_issuer_and_a_secret_in_config(keycloak, bao):
    assert module(bao, "vault_auth_method", {"path": "oidc", "type": "oidc"})[0] == 0
    nowhere = {"oidc_discovery_url": f"{keycloak}/realms/nowhere"}
    rc, res = module(bao, "vault_oidc_auth", {"path": "oidc", "config": nowhere})
    assert rc != 0 and "Vault refused the request" in res["msg"]
    rc, res = module(bao, "vault_oidc_auth", {
        "path": "oidc", "config": {"oidc_client_secret": "x"}})  # fmt: skip
    assert rc != 0 and "give oidc_client_secret as client_secret" in res["msg"]
    rc, res = module(bao, "vault_oidc_auth", {"path": "approle", "config": {}})
    assert rc != 0 and "not a jwt or oidc method" in res["msg"]


def test_rotating_an_unknown_or_public_client_is_refused(keycloak, bao):
    rc, res = apply(keycloak, bao, SPEC, rotate=["web", "nobody"])
    assert rc != 0 and "['nobody', 'web'] are not confidential clients" in res["msg"]


def test_changes_are_applied_exactly(keycloak, bao):
    changed = json.loads(json.dumps(SPEC))
    changed["groups"][0]["realm_roles"] = ["viewer"]
    changed["clients"][1]["redirect_uris"] = ["https://grafana.mach.test/login/generic_oauth"]
    rc, res = apply(keycloak, bao, changed, "--check")
    assert rc == 0 and res["changed"] is True
    assert "group operators: remove realm roles platform-admin" in res["actions"]
    assert "update client grafana: redirectUris" in res["actions"]
    rc, res = apply(keycloak, bao, changed)
    assert rc == 0 and sorted(res["actions"]) == sorted(
        [
            "group operators: remove realm roles platform-admin",
            "update client grafana: redirectUris",
        ]
    )
    assert apply(keycloak, bao, changed)[1]["changed"] is False


def test_no_secret_in_verbose_output(keycloak, bao):
    """With -vvv, neither the admin password, the Vault token nor a client secret shows."""
    secret = kv(bao, "keycloak/mach/grafana")["data"]["client_secret"]
    args = {
        "auth_keycloak_url": keycloak,
        "auth_username": "admin",
        "auth_password": ADMIN_PASSWORD,
        "vault_url": bao,
        "vault_token": TOKEN,
        "vault_kv_mount": "secret",
        "spec": SPEC,
    }
    proc = run(
        [tool("ansible"), "localhost", "-m", "mach.platform.keycloak_realm", "-a",
         json.dumps(args), "-vvv"],
        env={"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    output = proc.stdout + proc.stderr
    for value in (ADMIN_PASSWORD, TOKEN, secret):
        assert value not in output


# The catalog service's own venv (make -C services venvs UNITS=catalog; make test builds it).
CATALOG_VENV = ROOT / ".cache" / "services" / "catalog" / "bin"
SERVICE_CATALOG = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())


def shop_spec(bot_roles):
    """A realm from the catalogue (its editor roles, a client per service) plus an editing
    robot whose service account holds `bot_roles`."""
    return {
        "realm": "shop",
        "roles": catalog_keycloak_roles(SERVICE_CATALOG),
        "client_scopes": [{"name": "services"}],
        "clients": [
            *catalog_keycloak_clients(SERVICE_CATALOG),
            {"client_id": "catalog-bot", "service_accounts": True,
             "service_account_roles": bot_roles},
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def catalog_service(keycloak):
    """The catalog on its own migrated database, checking tokens of the realm `shop`."""
    assert (CATALOG_VENV / "uvicorn").exists(), "run make -C services venvs UNITS=catalog"
    with start_postgresql() as port:
        password = "catalog-" + os.urandom(8).hex()
        for sql in (f"CREATE ROLE catalog LOGIN PASSWORD '{password}'",
                    "CREATE DATABASE catalog OWNER catalog"):  # fmt: skip
            assert psql(port, "postgres", SUPERUSER_PASSWORD, sql).returncode == 0
        env = {
            **os.environ,
            "MACH_ENVIRONMENT": "prod",
            "MACH_DATABASE_URL": f"postgresql+asyncpg://catalog:{password}@127.0.0.1:{port}/catalog",
            "MACH_JWT_JWKS_URL": f"{keycloak}/realms/shop/protocol/openid-connect/certs",
            "MACH_JWT_ISSUER": f"{keycloak}/realms/shop",
        }
        migrate = run([str(CATALOG_VENV / "catalog-migrate"), "upgrade", "head"], env=env)
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        http = _free_port()
        proc = subprocess.Popen(
            [str(CATALOG_VENV / "uvicorn"), "--factory", "catalog.main:create_app",
             "--host", "127.0.0.1", "--port", str(http), "--no-access-log"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{http}"
        await_http(f"{url}/readyz", proc, 60, "catalog")
        yield url
        proc.terminate()
        proc.wait(timeout=30)


def create_category(url, slug, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"slug": slug, "name": slug.title()}).encode()
    req = urllib.request.Request(f"{url}/v1/categories", body, headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_catalog_accepts_the_realms_tokens_by_role(keycloak, bao, catalog_service):
    rc, res = apply(keycloak, bao, shop_spec(["catalog-editor"]))
    assert (
        rc == 0
        and "client catalog-bot: grant its service account catalog-editor" in (res["actions"])
    ), res
    assert apply(keycloak, bao, shop_spec(["catalog-editor"]))[1]["changed"] is False

    def token(client):
        secret = kv(bao, f"keycloak/shop/{client}")["data"]["client_secret"]
        return access_token(keycloak, client, secret, realm="shop")

    assert create_category(catalog_service, "tea", token("catalog-bot")) == 201
    assert create_category(catalog_service, "cups", token("order")) == 403  # no editor role
    assert create_category(catalog_service, "cups") == 401
    # a valid token of another realm (master's admin) is not the catalog's issuer's
    assert create_category(catalog_service, "cups", admin_token(keycloak)) == 401

    rc, res = apply(keycloak, bao, shop_spec([]))
    assert rc == 0 and res["actions"] == [
        "client catalog-bot: revoke from its service account catalog-editor"
    ], res
    assert create_category(catalog_service, "cups", token("catalog-bot")) == 403
    with urllib.request.urlopen(f"{catalog_service}/v1/categories", timeout=10) as resp:
        assert [c["slug"] for c in json.load(resp)["items"]] == ["tea"]
