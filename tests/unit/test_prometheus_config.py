"""mach.platform Prometheus filters: scrape configs follow the inventory and the catalogue, bad
jobs fail by name, runbook links get the site's base URL; the result passes promtool."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.mach.platform.plugins.filter.prometheus import (
    catalog_scrape_jobs,
    prometheus_runbook_urls,
    prometheus_scrape_configs,
)
from conftest import ROOT, run

GROUPS = {
    "all": ["a1", "b1", "c1"],
    "kafka": ["a1", "b1", "c1"],
    "monitoring": ["a1", "b1"],
    "app": [],
}
HOSTVARS = {
    "a1": {"mach_zone": "zone-a"},
    "b1": {"mach_zone": "zone-b", "mach_metrics_address": "10.0.2.11"},
    "c1": {"mach_zone": "zone-c"},
}
JOBS = [
    {"job": "node", "group": "all", "port": 9100},
    {"job": "kafka", "group": "kafka", "port": 9404, "interval": "60s"},
    {
        "job": "patroni",
        "group": "postgresql",
        "port": 8008,
        "scheme": "https",
        "ca_file": "/etc/prometheus/tls/ca.crt",
    },
    {"job": "prometheus", "group": "monitoring", "port": 9090},
    {"job": "vault", "group": "all", "port": 8200, "path": "/v1/sys/metrics",
     "params": {"format": ["prometheus"]}},
]  # fmt: skip


def test_targets_are_the_groups_hosts_labelled_with_node_and_zone():
    configs = {c["job_name"]: c for c in prometheus_scrape_configs(JOBS, GROUPS, HOSTVARS)}
    assert list(configs) == ["node", "kafka", "prometheus", "vault"]  # no postgresql hosts: no job
    assert configs["node"]["static_configs"] == [
        {"targets": ["a1:9100"], "labels": {"node": "a1", "zone": "zone-a"}},
        {"targets": ["10.0.2.11:9100"], "labels": {"node": "b1", "zone": "zone-b"}},
        {"targets": ["c1:9100"], "labels": {"node": "c1", "zone": "zone-c"}},
    ]
    assert configs["kafka"]["scrape_interval"] == "60s"
    assert configs["vault"]["params"] == {"format": ["prometheus"]}
    assert configs["vault"]["metrics_path"] == "/v1/sys/metrics"
    assert "params" not in configs["node"]
    assert [s["labels"]["node"] for s in configs["prometheus"]["static_configs"]] == ["a1", "b1"]
    https = prometheus_scrape_configs(JOBS, {**GROUPS, "postgresql": ["a1"]}, HOSTVARS)
    patroni = next(c for c in https if c["job_name"] == "patroni")
    assert patroni["scheme"] == "https"
    assert patroni["tls_config"] == {"ca_file": "/etc/prometheus/tls/ca.crt"}


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ({"job": "x", "group": "all", "port": 1, "target": "h:1"}, r"x: unknown field\(s\) target"),
        ({"job": "x", "group": "all"}, "x: missing port"),
        ({"job": "x", "group": "all", "port": 1, "scheme": "ftp"}, "scheme must be http or https"),
        ({"job": "x", "group": "all", "port": 1, "ca_file": "/c"}, "ca_file needs scheme https"),
        ({"job": "x", "group": "all", "port": 70000}, "port 70000 out of range"),
        (
            {"job": "x", "group": "all", "port": 1, "params": {"format": "prometheus"}},
            "params must",
        ),
    ],
)
def test_a_bad_job_fails_naming_it(job, message):
    with pytest.raises(AnsibleFilterError, match=message):
        prometheus_scrape_configs([job], GROUPS, HOSTVARS)


def test_a_job_defined_twice_fails():
    with pytest.raises(AnsibleFilterError, match="node is defined twice"):
        prometheus_scrape_configs(JOBS[:1] * 2, GROUPS, HOSTVARS)


def test_every_catalogue_service_is_a_job_named_after_it():
    catalog = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())
    jobs = catalog_scrape_jobs(catalog)
    assert [j["job"] for j in jobs] == [s["name"] for s in catalog["services"]]
    assert {j["group"] for j in jobs} == {"app"}
    configs = prometheus_scrape_configs(jobs, {"app": ["app-a1"]}, {})
    assert configs[0]["static_configs"][0]["targets"] == [
        f"app-a1:{catalog['services'][0]['port']}"
    ]


def test_runbook_links_get_the_base_url_and_absolute_ones_are_kept():
    rules = {
        "groups": [
            {
                "name": "g",
                "rules": [
                    {
                        "alert": "A",
                        "expr": "up == 0",
                        "annotations": {"runbook_url": "docs/runbooks/A.md"},
                    },
                    {
                        "alert": "B",
                        "expr": "up == 0",
                        "annotations": {"runbook_url": "https://x/B"},
                    },
                    {"record": "r", "expr": "up"},
                ],
            }
        ]
    }
    out = prometheus_runbook_urls(rules, "https://git.example.internal/mach/-/blob/main/")
    urls = [r.get("annotations", {}).get("runbook_url") for r in out["groups"][0]["rules"]]
    assert urls == [
        "https://git.example.internal/mach/-/blob/main/docs/runbooks/A.md",
        "https://x/B",
        None,
    ]
    assert rules["groups"][0]["rules"][0]["annotations"]["runbook_url"] == "docs/runbooks/A.md"
    assert prometheus_runbook_urls(rules, "") == rules


def test_a_generated_configuration_passes_promtool(tmp_path, promtool):
    config = {
        "global": {"scrape_interval": "30s", "external_labels": {"replica": "a1"}},
        "scrape_configs": prometheus_scrape_configs(
            JOBS, {**GROUPS, "postgresql": ["a1"]}, HOSTVARS
        ),
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    proc = run([promtool, "check", "config", "--syntax-only", str(path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
