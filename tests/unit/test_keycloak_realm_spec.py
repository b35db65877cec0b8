"""The realm spec every inventory gives playbooks/keycloak.yml (inventories/shared/group_vars/
all/35-keycloak.yml), rendered by Ansible as the playbook would, passes the keycloak_realm
module's strict validation, and has a client for every catalogue service and the platform UIs."""

import json

import pytest
import yaml

from ansible_collections.mach.platform.plugins.module_utils.realm_spec import validate
from conftest import ROOT, run, tool


@pytest.mark.parametrize("env", ["local", "prod"])
def test_inventory_realm_spec_is_valid_and_covers_the_catalogue(env):
    hosts = yaml.safe_load((ROOT / "inventories" / env / "hosts.yml").read_text())
    first = next(iter(hosts["all"]["hosts"]))
    proc = run(
        [tool("ansible"), "-i", f"inventories/{env}", first, "-c", "local", "-o",
         "-m", "ansible.builtin.debug", "-a", "var=mach_keycloak_realm"]
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    spec = json.loads(proc.stdout.split("=>", 1)[1])["mach_keycloak_realm"]
    validate(spec)
    catalog = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())
    services = {s["name"] for s in catalog["services"]}
    clients = {c["client_id"] for c in spec["clients"]}
    assert services | {"grafana", "dashboards", "kong", "argocd", "kuma-gui"} <= clients
    assert {f"{s}-editor" for s in services} <= {r["name"] for r in spec["roles"]}
    grafana = next(c for c in spec["clients"] if c["client_id"] == "grafana")
    assert grafana["redirect_uris"] and all(
        u.endswith(":3000/login/generic_oauth") for u in grafana["redirect_uris"]
    )
    dashboards = next(c for c in spec["clients"] if c["client_id"] == "dashboards")
    assert dashboards["redirect_uris"] and all(
        u.endswith(":5601/auth/openid/login") for u in dashboards["redirect_uris"]
    )
