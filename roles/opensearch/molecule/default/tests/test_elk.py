"""Roles kibana (OpenSearch Dashboards, the seed's Kibana for an OpenSearch cluster) and logstash
on os-b (they share roles/opensearch's scenario). Neither server can be obtained here
(docs/adr/0029): the scenario proves everything but the running servers, and says so - nothing
of theirs is installed or listens. Their configuration is checked as the servers would use it:
each one's credentials, CA and addresses are taken from the node and used against this real
search cluster for what the server does with them (Dashboards' version check and its own index;
Logstash's bulk writes into the shipper's daily index), and the pipeline on the node passes
mustache's parser and linter."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import time
from pathlib import Path

import yaml

from mach_ops import runs
from mach_ops.molecule import curl, node, playbook, secret
from mach_ops.testing import wait_for

testinfra_hosts = ["ansible://os-b"]

SCENARIO = Path(__file__).resolve().parent.parent
ADDRESSES = ["127.31.0.11", "127.31.0.12", "127.31.0.13"]
DASHBOARDS_CONF = "/etc/opensearch-dashboards/opensearch_dashboards.yml"
PIPELINE = "/etc/logstash/conf.d/mach-logs.conf"
SECRETS = ("opensearch-dashboards", "kibana-cookie", "kibana-oidc", "opensearch-logs")


def elk_action(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return playbook(SCENARIO / "elk-action.yml", "-e", f"mach_action={name}", *extra)


def environment(name: str, path: str) -> dict[str, str]:
    """The KEY=value lines of a node's environment file (read as root)."""
    text = node(name).check_output(f"cat {shlex.quote(path)}")
    return dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )


def test_no_server_is_installed_or_listens(host):
    """The level reached is stated, not faked: configuration only."""
    for package in ("opensearch-dashboards", "logstash-oss", "logstash"):
        assert not host.package(package).is_installed, package
    for port in (5601, 5044, 9600):
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    assert not host.process.filter(user="opensearch-dashboards")
    assert not host.process.filter(user="logstash")


def test_secrets_are_only_in_root_environment_files_the_units_read(host):
    for env, unit, keys in (
        ("/etc/opensearch-dashboards/secrets.env", "opensearch-dashboards",
         {"KIBANA_OPENSEARCH_PASSWORD", "KIBANA_COOKIE_PASSWORD", "KIBANA_OIDC_CLIENT_SECRET"}),
        ("/etc/logstash/secrets.env", "logstash", {"LOGSTASH_OPENSEARCH_PASSWORD"}),
    ):  # fmt: skip
        f = host.file(env)
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600), env
        assert set(environment(host.backend.get_hostname(), env)) == keys
        dropin = host.file(f"/etc/systemd/system/{unit}.service.d/mach.conf").content_string
        assert f"EnvironmentFile={env}" in dropin
    config = (
        host.file(DASHBOARDS_CONF).content_string
        + host.file(PIPELINE).content_string
        + host.file("/etc/logstash/logstash.yml").content_string
    )
    for name in SECRETS:
        assert secret(name) not in config, name
    for path, group in ((DASHBOARDS_CONF, "opensearch-dashboards"), (PIPELINE, "logstash")):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", group, 0o640), path


def test_certificates_verify_against_the_internal_ca_and_name_the_node(host):
    name = host.backend.get_hostname()
    for tls, cert in (
        ("/etc/opensearch-dashboards/tls", "dashboards.crt"),
        ("/etc/logstash/tls", "logstash.crt"),
    ):
        out = host.run(f"openssl verify -CAfile {tls}/ca.crt {tls}/{cert}")
        assert out.rc == 0, out.stdout + out.stderr
        text = host.check_output(f"openssl x509 -in {tls}/{cert} -noout -ext subjectAltName")
        assert f"DNS:{name}" in text, text


def test_dashboards_settings_name_the_cluster_tls_and_sign_on(host):
    conf = yaml.safe_load(host.file(DASHBOARDS_CONF).content_string)
    assert conf["opensearch.hosts"] == [f"https://{a}:9200" for a in ADDRESSES]
    assert conf["opensearch.ssl.verificationMode"] == "full"
    assert conf["server.ssl.enabled"] is True
    assert conf["opensearch_security.auth.type"] == ["basicauth", "openid"]
    assert conf["opensearch_security.openid.connect_url"].startswith("https://keycloak.molecule")


def test_dashboards_user_does_what_dashboards_does_at_start():
    """As OpenSearch Dashboards' server would, with the user and password from os-b's files and
    its CA: the cluster's version is Dashboards', every node is seen, and its own index is
    created and written (the static role kibana_server); the shipper's indices stay closed."""
    conf = yaml.safe_load(node("os-b").file(DASHBOARDS_CONF).content_string)
    password = environment("os-b", "/etc/opensearch-dashboards/secrets.env")[
        "KIBANA_OPENSEARCH_PASSWORD"
    ]
    assert password == secret("opensearch-dashboards")
    auth = ["-u", f"{conf['opensearch.username']}:{password}"]
    ca = ["--cacert", conf["opensearch.ssl.certificateAuthorities"][0], "-m", "20"]
    json_body = ["-H", "Content-Type: application/json"]
    for url in conf["opensearch.hosts"]:
        code, answer = curl("os-b", *ca, *auth, f"{url}/")
        assert code == 200 and answer["version"]["number"] == "2.19.4", (url, code, answer)
    url = conf["opensearch.hosts"][0]
    code, nodes = curl("os-b", *ca, *auth, f"{url}/_nodes?filter_path=nodes.*.version")
    assert code == 200 and len(nodes["nodes"]) == 3, nodes
    index = f".kibana_mach_test_{secrets.token_hex(3)}"
    try:
        body = json.dumps({"aliases": {f"{index}_alias": {}}})
        code, answer = curl(
            "os-b", *ca, *auth, *json_body, "-X", "PUT", "-d", body, f"{url}/{index}"
        )
        assert code == 200, answer
        doc = json.dumps({"type": "config", "config": {"buildNum": 1}})
        code, answer = curl(
            "os-b", *ca, *auth, *json_body, "-X", "PUT", "-d", doc,
            f"{url}/{index}/_doc/config:2.19.4?refresh=true",
        )  # fmt: skip
        assert code == 201, answer
        code, _ = curl("os-b", *ca, *auth, f"{url}/logs-*/_search")
        assert code == 403
    finally:
        admin = ["-u", f"admin:{secret('opensearch-admin')}"]
        curl("os-b", *ca, *admin, "-X", "DELETE", f"{url}/{index}")


def test_pipeline_on_the_node_passes_mustache(host):
    state = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
    mustache = Path(os.environ.get("MACH_TOOLS_DIR", state / "tools")) / "bin" / "mustache"
    assert mustache.exists(), f"{mustache} is missing: run `make tools`"
    local = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / f"{host.backend.get_hostname()}.conf"
    local.write_text(host.file(PIPELINE).content_string)
    for command in ("check", "lint"):
        out = subprocess.run(
            [str(mustache), command, str(local)], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, (command, out.stdout + out.stderr)


def test_logstash_credentials_write_the_shippers_daily_index_through_every_node():
    """What the pipeline's output does, with its settings from os-b's files: a _bulk write as its
    user, through each of its hosts with its CA, into today's index of its pattern; the three
    documents are then found by their token."""
    text = node("os-b").file(PIPELINE).content_string
    hosts = re.findall(r'"(https://[^"]+)"', text.split("hosts => [", 1)[1].split("]", 1)[0])
    assert hosts == [f"https://{a}:9200" for a in ADDRESSES]
    user = re.search(r'user => "([^"]+)"', text).group(1)
    cacert = re.search(r'cacert => "([^"]+)"', text).group(1)
    prefix = re.search(r'index => "([a-z0-9_-]+)-%\{\+YYYY-MM-dd\}"', text).group(1)
    password = environment("os-b", "/etc/logstash/secrets.env")["LOGSTASH_OPENSEARCH_PASSWORD"]
    index = f"{prefix}-{time.strftime('%Y-%m-%d', time.gmtime())}"
    token = f"logstash-probe-{secrets.token_hex(4)}"
    for url in hosts:
        lines = [
            {"create": {"_index": index}},
            {
                "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "message": f"{token} via {url}",
                "service": {"name": "logstash-probe"},
            },
        ]
        body = "".join(json.dumps(line) + "\n" for line in lines)
        code, answer = curl(
            "os-b", "--cacert", cacert, "-m", "20", "-u", f"{user}:{password}",
            "-H", "Content-Type: application/x-ndjson", "--data-binary", body, f"{url}/_bulk",
        )  # fmt: skip
        assert code == 200 and answer["errors"] is False, answer
    query = json.dumps({"query": {"match_phrase": {"message": token}}})

    def found() -> int:
        code, answer = curl(
            "os-b", "--cacert", cacert, "-m", "20", "-u", f"{user}:{password}",
            "-H", "Content-Type: application/json", "-d", query,
            f"{hosts[0]}/{index}/_search?filter_path=hits.total",
        )  # fmt: skip
        assert code == 200, answer
        return int(answer["hits"]["total"]["value"])

    assert wait_for(lambda: found() >= 3, 30, f"3 documents with {token}") and found() == 3


def test_check_action_changes_nothing_and_logs_no_secret():
    run = elk_action("check", "-vvv")
    assert run.returncode == 0, run.stdout[-3000:]
    recap = runs.recap(run.stdout)
    assert sorted(recap) == ["os-b"]
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap
    for name in SECRETS:
        assert secret(name) not in run.stdout + run.stderr, name


def test_a_hand_edited_pipeline_is_reported_by_check():
    edit, undo = (f"s/manage_template => {a}/manage_template => {b}/" for a, b in
                  (("false", "true"), ("true", "false")))  # fmt: skip
    node("os-b").check_output(f"sed -i '{edit}' {PIPELINE}")
    try:
        run = elk_action("check")
        said = " ".join(runs.plain(run.stdout + run.stderr).split())
        assert run.returncode != 0 and "differ from the role's" in said, said[-2000:]
    finally:
        node("os-b").check_output(f"sed -i '{undo}' {PIPELINE}")
    assert "manage_template => false" in node("os-b").file(PIPELINE).content_string


def test_a_cluster_of_another_version_fails_before_any_change():
    """What only the live cluster can answer (the other bad input is refused by the prechecks,
    tests/unit/test_kibana_config.py and test_logstash_pipeline.py): Dashboards at a version the
    cluster is not at stops the run with its reason, changes nothing and prints no secret."""
    run = elk_action("deploy", "-e", "kibana_version=2.19.3")
    out = " ".join(runs.plain(run.stdout + run.stderr).split())
    assert run.returncode != 0 and "needs its user" in out and "version 2.19.4" in out, out[-2000:]
    assert "changed: [" not in run.stdout
    for name in SECRETS:
        assert secret(name) not in run.stdout + run.stderr, name
