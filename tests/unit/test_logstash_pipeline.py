"""The logstash role's pipeline, rendered by Ansible for the production inventory as a site's
run would (its search cluster's members, the role's prechecks first), passes the offline checks
Logstash itself cannot run here (it is not obtainable: docs/adr/0029): mustache's parser
(`check`), its linter (`lint`: every plugin has an id) and its formatter (the file is already
in its layout). The test also proves those checks reject a missing comma, a missing brace and a
plugin without an id, and that the pipeline writes where the rsyslog shipper writes."""

import re
import subprocess

import pytest
import yaml

from conftest import ROOT, render_role_files


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("logstash")
    files = ["mach-logs.conf", "logstash.yml", "pipelines.yml"]
    variables = {
        "logstash_opensearch_password": "Only-for-this-render-0123",
        # The site's pack checksum (its mirror's manifest); any well-formed one renders the same.
        "logstash_opensearch_plugin_sha256": "0" * 64,
    }
    proc = render_role_files("logstash", files, out, "observability", variables)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    return {name: (out / name).read_text() for name in files}


def mustache_run(mustache: str, command: str, path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [mustache, command, str(path)], capture_output=True, text=True, check=False, timeout=60
    )


def test_pipeline_parses_lints_and_is_in_the_formatters_layout(rendered, mustache, tmp_path):
    conf = tmp_path / "mach-logs.conf"
    conf.write_text(rendered["mach-logs.conf"])
    for command in ("check", "lint"):
        proc = mustache_run(mustache, command, conf)
        assert proc.returncode == 0, (command, proc.stdout + proc.stderr)
    formatted = mustache_run(mustache, "format", conf)
    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout.rstrip("\n") == rendered["mach-logs.conf"].rstrip("\n")


@pytest.mark.parametrize(
    ("mistake", "command", "said"),
    [
        (lambda s: s.replace('",\n', '"\n', 1), "check", "expect closing square bracket"),
        (lambda s: s.replace("  }\n}\nfilter", "  }\nfilter", 1), "check", "Parsing error"),
        (lambda s: s.replace('    id => "mach_logs_relay"\n', "", 1), "lint", "no IDs found"),
    ],
    ids=["missing-comma", "missing-brace", "plugin-without-id"],
)
def test_the_checks_reject_typical_mistakes(rendered, mustache, tmp_path, mistake, command, said):
    broken = mistake(rendered["mach-logs.conf"])
    assert broken != rendered["mach-logs.conf"]
    conf = tmp_path / "broken.conf"
    conf.write_text(broken)
    proc = mustache_run(mustache, command, conf)
    assert proc.returncode != 0 and said in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_it_writes_the_shippers_daily_indices_to_every_search_node_over_verified_tls(rendered):
    conf = rendered["mach-logs.conf"]
    hosts = yaml.safe_load((ROOT / "inventories/prod/hosts.yml").read_text())
    data = list(hosts["all"]["children"]["data"]["hosts"])
    urls = re.findall(r'"(https://[^"]+)"', conf.split("hosts => [", 1)[1].split("]", 1)[0])
    assert len(urls) == len(data) == 3
    assert all(re.fullmatch(r"https://[^/:]+:9200", u) for u in urls), urls
    # The rsyslog shipper's indices (roles/logs: logs-YYYY-MM-DD) and user, whose template it keeps.
    logs = yaml.safe_load((ROOT / "roles/logs/defaults/main.yml").read_text())
    assert f'index => "{logs["logs_index_prefix"]}-%{{+YYYY-MM-dd}}"' in conf
    assert f'user => "{logs["logs_opensearch_user"]}"' in conf
    assert 'password => "${LOGSTASH_OPENSEARCH_PASSWORD}"' in conf
    assert "Only-for-this-render" not in "".join(rendered.values())
    assert "ssl_certificate_verification => true" in conf and "manage_template => false" in conf
    assert 'ssl_client_authentication => "required"' in conf
    settings = yaml.safe_load(rendered["logstash.yml"])
    assert settings["queue.type"] == "persisted" and settings["api.http.host"] == "127.0.0.1"
    assert yaml.safe_load(rendered["pipelines.yml"]) == [
        {"pipeline.id": "mach-logs", "path.config": "/etc/logstash/conf.d/mach-logs.conf"}
    ]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"logstash_opensearch_urls": ["http://prd-a-db1:9200"]}, "https URLs of host:port"),
        ({"logstash_opensearch_password": "short-password"}, "16+ characters"),
        ({"logstash_opensearch_password": "has$dollar-0123456789"}, "dollar sign"),
        ({"logstash_opensearch_plugin_sha256": ""}, "logstash_opensearch_plugin_sha256"),
        ({"logstash_index_prefix": "Logs"}, "lower-case logstash_index_prefix"),
    ],
    ids=["plain-http", "short-password", "dollar", "no-pack-checksum", "upper-case-index"],
)
def test_bad_input_fails_in_the_prechecks_without_printing_the_password(tmp_path, change, said):
    variables = {
        "logstash_opensearch_password": "Only-for-this-render-0123",
        "logstash_opensearch_plugin_sha256": "0" * 64,
        **change,
    }
    proc = render_role_files("logstash", ["mach-logs.conf"], tmp_path, "observability", variables)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and said in " ".join(out.split()), out[-3000:]
    assert "Only-for-this-render" not in out and not (tmp_path / "mach-logs.conf").exists()
