"""The kibana role's opensearch_dashboards.yml (OpenSearch Dashboards, the Kibana of an
OpenSearch cluster: docs/adr/0029), rendered by Ansible for the production inventory as a site's
run would, after the role's prechecks: the whole search cluster over fully verified TLS, HTTPS
only, secrets only as references to the unit's environment, and Keycloak sign-on beside basic
authentication when enabled. Dashboards is pinned to the search cluster's version."""

import pytest
import yaml

from conftest import ROOT, render_role_files

SECRETS = {
    "kibana_opensearch_password": "Dashboards-render-only-0123",
    "kibana_cookie_password": "Cookie-render-only-0123456789abcdefghij",
    "kibana_oidc_client_secret": "Oidc-render-only-0123",
}


def render(tmp_path, **extra) -> tuple[int, dict, str]:
    files = ["opensearch_dashboards.yml", "secrets.env"]
    proc = render_role_files("kibana", files, tmp_path, "observability", {**SECRETS, **extra})
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        return proc.returncode, {}, out
    conf = yaml.safe_load((tmp_path / "opensearch_dashboards.yml").read_text())
    return 0, conf, out + (tmp_path / "secrets.env").read_text()


def test_the_whole_cluster_over_verified_tls_with_secrets_only_as_references(tmp_path):
    rc, conf, out = render(tmp_path)
    assert rc == 0, out[-3000:]
    hosts = yaml.safe_load((ROOT / "inventories/prod/hosts.yml").read_text())
    data = list(hosts["all"]["children"]["data"]["hosts"])
    assert conf["opensearch.hosts"] == [f"https://{h}:9200" for h in data]
    assert conf["opensearch.ssl.verificationMode"] == "full"
    assert conf["server.ssl.enabled"] is True and conf["opensearch_security.cookie.secure"] is True
    assert conf["opensearch.username"] == "dashboards"
    assert conf["opensearch.password"] == "${KIBANA_OPENSEARCH_PASSWORD}"
    assert conf["opensearch_security.cookie.password"] == "${KIBANA_COOKIE_PASSWORD}"
    assert "opensearch_security.auth.type" not in conf  # basic authentication only
    text = (tmp_path / "opensearch_dashboards.yml").read_text()
    assert not any(value in text for value in SECRETS.values())
    env = (tmp_path / "secrets.env").read_text()
    assert f"KIBANA_OPENSEARCH_PASSWORD={SECRETS['kibana_opensearch_password']}\n" in env


def test_keycloak_sign_on_keeps_basic_authentication(tmp_path):
    rc, conf, out = render(
        tmp_path,
        kibana_oidc_enabled=True,
        kibana_oidc_issuer_url="https://prd-a-sec1:8443/realms/mach",
    )
    assert rc == 0, out[-3000:]
    assert conf["opensearch_security.auth.type"] == ["basicauth", "openid"]
    assert conf["opensearch_security.auth.multiple_auth_enabled"] is True
    assert (
        conf["opensearch_security.openid.connect_url"]
        == "https://prd-a-sec1:8443/realms/mach/.well-known/openid-configuration"
    )
    assert conf["opensearch_security.openid.client_secret"] == "${KIBANA_OIDC_CLIENT_SECRET}"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"kibana_cookie_password": "short-cookie-password"}, "kibana_cookie_password (32+)"),
        ({"kibana_opensearch_password": "has$dollar-0123456789"}, "dollar sign"),
        ({"kibana_opensearch_urls": ["http://prd-a-db1:9200"]}, "https URLs of host:port"),
        (
            {"kibana_oidc_enabled": True, "kibana_oidc_issuer_url": "https://idp/realms/mach/"},
            "trailing slash",
        ),
    ],
    ids=["short-cookie", "dollar", "plain-http", "issuer-slash"],
)
def test_bad_input_fails_in_the_prechecks_without_printing_a_secret(tmp_path, change, said):
    rc, _, out = render(tmp_path, **change)
    assert rc != 0 and said in " ".join(out.split()), out[-3000:]
    assert "Dashboards-render-only" not in out and "Cookie-render-only" not in out


def test_dashboards_is_pinned_to_the_search_clusters_version():
    kibana = yaml.safe_load((ROOT / "roles/kibana/defaults/main.yml").read_text())
    opensearch = yaml.safe_load((ROOT / "roles/opensearch/defaults/main.yml").read_text())
    assert str(kibana["kibana_version"]) == str(opensearch["opensearch_version"])
