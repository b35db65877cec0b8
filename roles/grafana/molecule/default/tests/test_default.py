"""Role grafana with grafana_install false (this machine's mirror carries no Grafana): on two
air-gapped replicas the configuration is HTTPS-only and keeps its secrets in files of their
own, each replica's data sources point at its own zone's Prometheus and Alertmanager with the
internal CA, every dashboard of the code is in its folder byte for byte, a dashboard no longer
in the code is gone - and no Grafana server is claimed to run."""

from __future__ import annotations

import configparser
import hashlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[5]
DASHBOARDS = ROOT / "roles/grafana/files/dashboards"
testinfra_hosts = ["ansible://mol-b", "ansible://mol-c"]
SECRETS = {
    "admin_password": "molecule-admin-password-0123",
    "secret_key": "molecule-secret-key-0123456789abcdef",
    "oidc_client_secret": "molecule-oidc-client-secret",
}


def ini(host):
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(host.file("/etc/grafana/grafana.ini").content_string)
    return config


def test_no_server_is_claimed(host):
    """The level this machine allows: configuration only. Nothing named grafana is installed,
    runs, or listens."""
    assert not host.package("grafana").is_installed
    assert not host.socket("tcp://0.0.0.0:3000").is_listening
    assert host.run("systemctl cat grafana-server").rc != 0


def test_tree_ownership(host):
    for path, owner, mode in [
        ("/etc/grafana", "root", 0o750),
        ("/etc/grafana/secrets", "root", 0o750),
        ("/etc/grafana/grafana.ini", "root", 0o640),
        ("/etc/grafana/provisioning/datasources/mach.yml", "root", 0o640),
        ("/var/lib/grafana", "grafana", 0o750),
    ]:
        f = host.file(path)
        assert (f.user, f.group, f.mode) == (owner, "grafana", mode), path


def test_secrets_live_only_in_their_files(host):
    for name, value in SECRETS.items():
        f = host.file(f"/etc/grafana/secrets/{name}")
        assert (f.user, f.group, f.mode) == ("root", "grafana", 0o640)
        assert f.content_string == value
    config = host.run("cat /etc/grafana/grafana.ini /etc/grafana/provisioning/*/*.yml").stdout
    for value in SECRETS.values():
        assert value not in config
    assert ini(host)["security"]["admin_password"] == "$__file{/etc/grafana/secrets/admin_password}"


def test_server_configuration(host):
    config = ini(host)
    assert config["server"]["protocol"] == "https"
    assert config["server"]["root_url"] == f"https://{host.backend.host}:3000/"
    for key in ("cert_file", "cert_key"):
        assert host.file(config["server"][key]).exists
    assert config["auth.anonymous"]["enabled"] == "false"
    assert config["users"]["allow_sign_up"] == "false"
    assert config["analytics"]["reporting_enabled"] == "false"
    assert config["analytics"]["check_for_updates"] == "false"
    oauth = config["auth.generic_oauth"]
    assert oauth["enabled"] == "true"
    assert oauth["token_url"] == (
        "https://keycloak.molecule:8443/realms/mach/protocol/openid-connect/token"
    )
    assert "'Admin'" in oauth["role_attribute_path"]


def test_certificate_from_the_internal_ca_names_the_replica(host):
    tls = "/etc/grafana/tls"
    assert host.run(f"openssl verify -CAfile {tls}/ca.crt {tls}/grafana.crt").rc == 0
    san = host.check_output(f"openssl x509 -in {tls}/grafana.crt -noout -ext subjectAltName")
    assert f"DNS:{host.backend.host}" in san


def test_data_sources_are_this_zones(host):
    doc = yaml.safe_load(host.file("/etc/grafana/provisioning/datasources/mach.yml").content)
    sources = {s["uid"]: s for s in doc["datasources"]}
    me = host.backend.host
    assert sources["prometheus"]["url"] == f"https://{me}:9090"
    assert sources["prometheus"]["isDefault"] is True
    assert sources["alertmanager"]["url"] == f"https://{me}:9093"
    assert sources["alertmanager"]["jsonData"]["implementation"] == "prometheus"
    for source in sources.values():
        assert source["jsonData"]["tlsAuthWithCACert"] is True
        assert source["secureJsonData"]["tlsCACert"] == "$__file{/etc/grafana/tls/ca.crt}"
    assert doc["prune"] is True


def test_every_dashboard_in_its_folder_byte_for_byte(host):
    providers = yaml.safe_load(host.file("/etc/grafana/provisioning/dashboards/mach.yml").content)[
        "providers"
    ]
    folders = {p["folder"]: p["options"]["path"] for p in providers}
    assert set(folders) == {"Platform", "Services", "Data", "Mesh"}
    assert all(not p["allowUiUpdates"] for p in providers)
    expected = sorted(DASHBOARDS.glob("*/*.json"))
    assert len(expected) >= 6
    for path in expected:
        f = host.file(f"{folders[path.parent.name]}/{path.name}")
        assert (f.user, f.group, f.mode) == ("root", "grafana", 0o640)
        assert f.sha256sum == hashlib.sha256(path.read_bytes()).hexdigest(), path
    installed = host.check_output("find /var/lib/grafana/dashboards -name '*.json' | wc -l")
    assert int(installed) == len(expected)


@pytest.mark.parametrize("path", ["/var/lib/grafana/dashboards/Data/retired.json"])
def test_a_dashboard_no_longer_in_the_code_is_removed(host, path):
    assert not host.file(path).exists
