"""Grafana's dashboards as code (roles/grafana/files/dashboards/<folder>/<name>.json), checked
offline as strictly as this machine allows, since no Grafana server can run here:

- every dashboard, panel option, field config, query and variable type-checks with `tsc`
  against @grafana/schema of the version the role installs (excess properties and unknown
  enum values are errors);
- every panel's, variable's and annotation's PromQL parses with promtool;
- every recorded series a query reads (a name with a colon) is one the platform's rules
  record, every data source a query names is one the role provisions, every variable a query
  uses is defined, and the panels of a dashboard neither overlap nor leave the grid.
"""

import copy
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, offline_tool

DASHBOARDS = ROOT / "roles/grafana/files/dashboards"
FILES = sorted(DASHBOARDS.glob("*/*.json"))
SCHEMA_VERSION = "13.2.3"
# Values that stand in for Grafana's built-in and dashboard variables when promtool parses.
BUILTINS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}


def load(path):
    return json.loads(path.read_text())


def panels(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def queries(dashboard):
    """(where, query) for every Prometheus query of the dashboard."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield f"panel {panel['id']} ({panel['title']}) {target['refId']}", target
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "query":
            yield f"variable {variable['name']}", {"expr": variable["query"]["query"], **variable}
    for annotation in dashboard.get("annotations", {}).get("list", []):
        yield f"annotation {annotation['name']}", annotation["target"]


def promql(expr, dashboard):
    """The expression as Prometheus would receive it: variables replaced by a value."""
    values = dict(BUILTINS)
    for variable in dashboard.get("templating", {}).get("list", []):
        values[variable["name"]] = "x"
    expr = re.sub(r"^label_values\((.+), *\w+\)$", r"\1", expr)
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m[1], m[0]), expr)


@pytest.fixture(scope="module")
def dashboard_tools():
    """@grafana/schema and tsc, installed from tests/tools/dashboards by `make tools`."""
    path = Path(offline_tool("promtool")).parent.parent / "dashboards"
    assert (path / "node_modules/.bin/tsc").exists(), f"{path} is missing: run `make tools`"
    installed = json.loads((path / "node_modules/@grafana/schema/package.json").read_text())
    assert installed["version"] == SCHEMA_VERSION
    return path


def test_dashboards_present():
    names = {f"{p.parent.name}/{p.stem}" for p in FILES}
    for expected in ("Platform/overview", "Services/service", "Data/postgresql", "Data/kafka",
                     "Data/redis", "Mesh/mesh"):  # fmt: skip
        assert expected in names


def test_schema_version_is_the_installed_grafana():
    defaults = yaml.safe_load((ROOT / "roles/grafana/defaults/main.yml").read_text())
    assert defaults["grafana_version"] == SCHEMA_VERSION


def typescript(dashboards):
    """One TypeScript module: each dashboard typed as Dashboard, and the parts the schema
    leaves open (panel options, custom field config, queries) each typed on their own."""
    base = "@grafana/schema/dist/esm/raw/composable/{0}/panelcfg/x/{1}PanelCfg_types.gen"
    lines = [
        "import type { Dashboard } from '@grafana/schema';",
        "import type { Json, PromQuery, PromVariableQuery } from './prometheus-query.js';",
        "import type { Options as TimeseriesOptions, FieldConfig as TimeseriesCustom }"
        f" from '{base.format('timeseries', 'TimeSeries')}';",
        f"import type {{ Options as StatOptions }} from '{base.format('stat', 'Stat')}';",
    ]
    typed = {"timeseries": ("TimeseriesOptions", "TimeseriesCustom"), "stat": ("StatOptions", None)}
    for i, (name, dashboard) in enumerate(dashboards):
        doc = copy.deepcopy(dashboard)
        parts = []

        def part(kind, value, _parts=parts, _i=i):
            ident = f"d{_i}_{len(_parts)}"
            _parts.append(f"const {ident}: Json<{kind}> = {json.dumps(value)};")
            return f"@@{ident}@@"

        for panel in panels(doc):
            if panel["type"] == "row":
                continue
            assert panel["type"] in typed, f"{name}: no type check for a {panel['type']} panel"
            options, custom = typed[panel["type"]]
            panel["options"] = part(options, panel["options"])
            if "custom" in panel["fieldConfig"]["defaults"]:
                assert custom, f"{name}: {panel['type']} takes no custom field config"
                panel["fieldConfig"]["defaults"]["custom"] = part(
                    custom, panel["fieldConfig"]["defaults"]["custom"]
                )
            panel["targets"] = [part("PromQuery", t) for t in panel["targets"]]
        for variable in doc.get("templating", {}).get("list", []):
            if variable["type"] == "query":
                variable["query"] = part("PromVariableQuery", variable["query"])
        for annotation in doc.get("annotations", {}).get("list", []):
            annotation["target"] = part("PromQuery", annotation["target"])
        body = re.sub(r'"@@(\w+)@@"', r"\1", json.dumps(doc, indent=1))
        lines += [f"// {name}", *parts, f"export const d{i}: Json<Dashboard> = {body};"]
    return "\n".join(lines) + "\n"


def tsc(tools, source):
    """Type-check one module beside the installed packages; tsc's output on failure."""
    module = tools / f"check_{os.getpid()}.ts"
    module.write_text(source)
    try:
        proc = subprocess.run(
            [str(tools / "node_modules/.bin/tsc"), "-p", str(tools / "tsconfig.json")],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        module.unlink()
    return proc.returncode, proc.stdout + proc.stderr


def install_sources(tools):
    """The checker's own sources, as committed, beside the packages `make tools` installs."""
    for name in ("tsconfig.json", "prometheus-query.ts"):
        (tools / name).write_text((ROOT / "tests/tools/dashboards" / name).read_text())


def test_dashboards_type_check_against_the_schema(dashboard_tools):
    install_sources(dashboard_tools)
    source = typescript([(f"{p.parent.name}/{p.name}", load(p)) for p in FILES])
    rc, out = tsc(dashboard_tools, source)
    assert rc == 0, out


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        (lambda d: d["panels"][1]["options"].update(colorMode="backgrounds"), "backgrounds"),
        (lambda d: d["panels"][1].update(gridpos={"h": 1}), "gridpos"),
        (lambda d: d["panels"][1]["targets"][0].update(exp="up"), "exp"),
        (lambda d: d["panels"][1]["targets"][0].pop("refId"), "refId"),
        (lambda d: d.update(graphTooltip=7), "'7'"),
    ],
    ids=["enum value", "unknown panel field", "unknown query field", "missing refId", "number"],
)
def test_the_type_check_rejects_a_broken_dashboard(dashboard_tools, mistake, message):
    """Strict enough to matter: each of these mistakes, which Grafana would ignore or reject
    at load time, fails the check."""
    install_sources(dashboard_tools)
    dashboard = load(DASHBOARDS / "Platform/overview.json")
    assert dashboard["panels"][1]["type"] == "stat"
    mistake(dashboard)
    rc, out = tsc(dashboard_tools, typescript([("broken", dashboard)]))
    assert rc != 0
    assert message in out, out


def test_every_query_parses_with_promtool(promtool, tmp_path):
    rules = []
    for path in FILES:
        dashboard = load(path)
        for where, query in queries(dashboard):
            rules.append(
                {
                    "record": f"dashboard_check_{len(rules)}",
                    "expr": promql(query["expr"], dashboard),
                    "labels": {"where": f"{path.name} {where}"},
                }
            )
    assert len(rules) > 50
    (tmp_path / "queries.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]})
    )
    proc = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "queries.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def recorded_series():
    from ansible_collections.mach.platform.plugins.filter.catalog import catalog_slo_rules

    catalog = yaml.safe_load((ROOT / "services/catalog.yml").read_text())
    groups = list(catalog_slo_rules(catalog)["groups"])
    for path in ROOT.glob("roles/*/files/prometheus/alerts.yml"):
        groups += yaml.safe_load(path.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def test_every_recorded_series_read_is_recorded():
    recorded = recorded_series()
    assert "slo:objective_availability:ratio" in recorded
    for path in FILES:
        dashboard = load(path)
        for where, query in queries(dashboard):
            for name in re.findall(r"[a-zA-Z_][\w]*:[\w:]*", promql(query["expr"], dashboard)):
                assert name in recorded, f"{path.name} {where}: {name} is recorded by no rule"


def test_data_sources_variables_and_layout():
    role = yaml.safe_load((ROOT / "roles/grafana/defaults/main.yml").read_text())
    provisioned = {d["uid"] for d in role["grafana_datasources"]}
    folders = {f["name"] for f in role["grafana_dashboard_folders"]}
    uids, titles = set(), set()
    for path in FILES:
        dashboard = load(path)
        assert path.parent.name in folders, f"{path}: folder not provisioned"
        assert dashboard["uid"] not in uids and len(dashboard["uid"]) <= 40
        assert dashboard["title"] not in titles
        uids.add(dashboard["uid"])
        titles.add(dashboard["title"])
        assert dashboard["editable"] is False, "provisioned from git: not edited in the UI"
        defined = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
        ids, cells = set(), set()
        for panel in panels(dashboard):
            assert panel["id"] not in ids
            ids.add(panel["id"])
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, f"{path.name} panel {panel['id']} leaves the grid"
            for x in range(pos["x"], pos["x"] + pos["w"]):
                for y in range(pos["y"], pos["y"] + pos["h"]):
                    assert (x, y) not in cells, f"{path.name} panel {panel['id']} overlaps"
                    cells.add((x, y))
            if panel["type"] != "row":
                assert panel.get("description"), f"{path.name} panel {panel['id']}"
                assert panel["datasource"]["uid"] in provisioned
                refs = [t["refId"] for t in panel["targets"]]
                assert refs and len(refs) == len(set(refs))
        for where, query in queries(dashboard):
            assert query.get("datasource", {"uid": next(iter(provisioned))})["uid"] in provisioned
            used = set(re.findall(r"\$\{?(\w+)", query["expr"])) - set(BUILTINS)
            assert used <= defined, f"{path.name} {where}: undefined {used - defined}"
