"""Alerting rules as code: every role's alerts (roles/*/files/prometheus/alerts.yml) and the
services' SLO rules generated from services/catalog.yml pass `promtool check rules` and their
`promtool test rules` unit tests (Prometheus 2.42's promtool, from Debian: make tools), and
every alert carries a severity and a runbook_url to an existing runbook with Meaning, Impact,
Diagnosis and Mitigation."""

import re
import subprocess

import pytest
import yaml

from ansible_collections.mach.platform.plugins.filter.catalog import catalog_slo_rules
from conftest import ROOT

CATALOG = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())
ROLE_RULES = sorted(ROOT.glob("roles/*/files/prometheus/alerts.yml"))
SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation")


def promtool_run(promtool, *args, cwd=None):
    proc = subprocess.run(
        [promtool, *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_roles_have_alerts_and_their_tests():
    assert {p.parts[-4] for p in ROLE_RULES} >= {"common", "vault", "postgresql"}
    for rules in ROLE_RULES:
        assert (rules.parent / "alerts.test.yml").exists(), f"{rules} has no promtool test"


@pytest.mark.parametrize("rules", ROLE_RULES, ids=lambda p: p.parts[-4])
def test_role_alerts_check_and_pass_their_unit_tests(promtool, rules):
    assert "SUCCESS" in promtool_run(promtool, "check", "rules", str(rules))
    out = promtool_run(promtool, "test", "rules", "alerts.test.yml", cwd=rules.parent)
    assert "SUCCESS" in out


def slo_test(name, errors_per_min, slow):
    """Input series for one service over 20 minutes: 1000 requests a minute, `errors_per_min`
    of them 5xx; `slow` puts most of them between 0.2 and 0.5 s (p95 = 0.2 + 750/800 * 0.3 s
    = 481.25 ms by linear interpolation in that bucket)."""
    metric = "http_server_request_duration_seconds"
    fast_share = 0.2 if slow else 0.99
    series = [
        {"series": f'{metric}_count{{job="{name}",http_response_status_code="200"}}',
         "values": f"0+{1000 - errors_per_min}x20"},
        {"series": f'{metric}_count{{job="{name}",http_response_status_code="500"}}',
         "values": f"0+{errors_per_min}x20"},
    ]  # fmt: skip
    for le, share in (("0.1", fast_share * 0.5), ("0.2", fast_share), ("0.5", 1.0), ("+Inf", 1.0)):
        series.append(
            {"series": f'{metric}_bucket{{job="{name}",le="{le}"}}',
             "values": f"0+{int(1000 * share)}x20"}
        )  # fmt: skip
    return series


def test_slo_rules_fire_on_budget_burn_and_slowness_only(promtool, tmp_path):
    """catalog burns 3% errors and is slow: both burn alerts and the latency alert fire for it;
    order, healthy, stays quiet. The rules are what the prometheus role will install."""
    (tmp_path / "slo.yml").write_text(yaml.safe_dump(catalog_slo_rules(CATALOG)))
    assert "SUCCESS" in promtool_run(promtool, "check", "rules", str(tmp_path / "slo.yml"))

    def expected(alert, severity, description):
        return {
            "exp_labels": {"severity": severity, "service": "catalog"},
            "exp_annotations": {
                "summary": {
                    "SLOLatencyP95High": "catalog answers slower than its p95 objective",
                }.get(alert, "catalog burns its error budget too fast"),
                "description": description,
                "runbook_url": f"docs/runbooks/{alert}.md",
            },
        }

    burn = (
        "catalog fails 3% of its requests; at this rate its 99.9% availability objective "
        "will not hold."
    )
    test = {
        "rule_files": ["slo.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": slo_test("catalog", 30, slow=True) + slo_test("order", 0, False),
                "alert_rule_test": [
                    {"eval_time": "15m", "alertname": "SLOErrorBudgetBurnFast",
                     "exp_alerts": [expected("SLOErrorBudgetBurnFast", "page", burn)]},
                    {"eval_time": "15m", "alertname": "SLOErrorBudgetBurnSlow",
                     "exp_alerts": [expected("SLOErrorBudgetBurnSlow", "ticket", burn)]},
                    {"eval_time": "15m", "alertname": "SLOLatencyP95High",
                     "exp_alerts": [expected(
                         "SLOLatencyP95High", "page",
                         "catalog's p95 latency is 481.2ms, above its 200 ms objective for "
                         "10 minutes.")]},
                    {"eval_time": "5m", "alertname": "SLOLatencyP95High", "exp_alerts": []},
                ],
            }
        ],
    }  # fmt: skip
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    assert "SUCCESS" in promtool_run(promtool, "test", "rules", "slo.test.yml", cwd=tmp_path)


def all_alerts():
    groups = [yaml.safe_load(p.read_text())["groups"] for p in ROLE_RULES]
    groups.append(catalog_slo_rules(CATALOG)["groups"])
    return [rule for g in groups for group in g for rule in group["rules"] if "alert" in rule]


def test_every_alert_has_a_severity_and_a_runbook_that_exists():
    alerts = all_alerts()
    assert len({a["alert"] for a in alerts}) >= 14
    for rule in alerts:
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), name
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        assert annotations["runbook_url"] == f"docs/runbooks/{name}.md", name
        runbook = ROOT / annotations["runbook_url"]
        assert runbook.exists(), f"{name}: {runbook} is missing"
        headings = re.findall(r"^## (\w+)", runbook.read_text(), re.M)
        assert [h for h in headings if h in SECTIONS] == list(SECTIONS), f"{runbook}: {headings}"


def test_runbook_index_lists_every_alert():
    index = (ROOT / "docs" / "runbooks" / "README.md").read_text()
    for name in {a["alert"] for a in all_alerts()}:
        assert f"({name}.md)" in index, f"docs/runbooks/README.md does not list {name}"
