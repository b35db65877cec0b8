"""The kong role's Kubernetes mode: the Kong Ingress Controller's resources that decK's kong2kic
makes from the same generated configuration as the gateways', written for a cluster's GitOps
checkout (roles/kong, docs/adr/0032). No cluster runs here, so every resource is validated
offline: Kong's and the Gateway API's custom resources against the CRD schemas of the modules
decK itself is built from (tests/tools/deck: kubernetes-configuration, gateway-api), the
Secrets by kubernetes-validate --strict, and each service's values file, merged with its
helm-values.yaml, against services/chart's values schema. Every catalogue operation has its
HTTPRoute on the Gateway, and every service's Service carries its token check and rate limit."""

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ROOT, run_prod_play

PLAY = """
- name: The Kong Ingress Controller's resources, as a site's run writes them
  hosts: "{{ target }}"
  connection: local
  gather_facts: false
  tasks:
    - name: Kubernetes mode
      ansible.builtin.import_role:
        name: kong
        tasks_from: kubernetes.yml
"""

DECK_MODULE = ROOT / "tests/tools/deck"


def module_dir(path: str) -> Path:
    """Where the Go client keeps a module of decK's pinned build (no download once built)."""
    proc = subprocess.run(
        ["go", "list", "-m", "-json", path],
        cwd=DECK_MODULE, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return Path(json.loads(proc.stdout)["Dir"])


@pytest.fixture(scope="module")
def crds() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> the openAPIV3Schema of that served version."""
    kong = module_dir("github.com/kong/kubernetes-configuration") / "config/crd/ingress-controller"
    gateway = module_dir("sigs.k8s.io/gateway-api") / "config/crd/standard"
    files = [*kong.glob("*.yaml"), *gateway.glob("*.yaml")]
    schemas = {}
    for path in files:
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = version["schema"]["openAPIV3Schema"]
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    assert ("configuration.konghq.com/v1", "KongPlugin") in schemas
    assert ("gateway.networking.k8s.io/v1", "HTTPRoute") in schemas
    return schemas


@pytest.fixture(scope="module")
def public_key(rsa_public_key) -> str:
    return rsa_public_key


def kubernetes_mode(out: Path, public_key: str, action: str = "deploy"):
    extra = {
        "kong_mode": "kubernetes",
        "kong_kic_dir": str(out / "kong"),
        "kong_jwt_public_key": public_key,
        "mach_action": action,
    }
    return run_prod_play(PLAY, out, "k8s_control", extra)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory, public_key) -> Path:
    out = tmp_path_factory.mktemp("kic")
    proc = kubernetes_mode(out, public_key)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    return out / "kong"


def catalogue() -> list[dict]:
    return yaml.safe_load((ROOT / "services/catalog.yml").read_text())["services"]


def resources(checkout: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all((checkout / "kong.yaml").read_text()) if d]


def test_custom_resources_match_their_crds(checkout, crds):
    custom = [r for r in resources(checkout) if r["apiVersion"] != "v1"]
    assert {r["kind"] for r in custom} == {
        "GatewayClass", "Gateway", "HTTPRoute", "KongPlugin", "KongClusterPlugin",
        "KongConsumer", "KongUpstreamPolicy",
    }  # fmt: skip
    for resource in custom:
        schema = crds[(resource["apiVersion"], resource["kind"])]
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(resource), key=lambda e: e.path
        )
        assert not errors, (resource["kind"], resource["metadata"]["name"], errors[0].message)


def test_secrets_pass_kubernetes_strict_validation(checkout, tmp_path):
    secrets = [r for r in resources(checkout) if r["kind"] == "Secret"]
    assert {s["stringData"]["key"] for s in secrets} == {"kong"} | {s["name"] for s in catalogue()}
    path = tmp_path / "secrets.yaml"
    path.write_text(yaml.safe_dump_all(secrets))
    validate = Path(sys.executable).parent / "kubernetes-validate"
    proc = subprocess.run(
        [str(validate), "--strict", "--quiet", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(s["metadata"]["labels"]["konghq.com/credential"] == "jwt" for s in secrets)


def test_no_service_object_the_chart_already_owns(checkout):
    assert not [r for r in resources(checkout) if r["kind"] == "Service"]


def test_every_catalogue_operation_has_an_httproute_on_the_gateway(checkout):
    docs = resources(checkout)
    (gateway,) = [r for r in docs if r["kind"] == "Gateway"]
    (listener,) = gateway["spec"]["listeners"]
    assert listener["protocol"] == "HTTPS" and listener["hostname"] == "api.prod.mach.example"
    routes = [r for r in docs if r["kind"] == "HTTPRoute"]
    assert all(r["spec"]["parentRefs"] == [{"name": gateway["metadata"]["name"]}] for r in routes)
    for service in catalogue():
        spec = json.loads((ROOT / f"contracts/openapi/{service['name']}/openapi.json").read_text())
        for path, item in spec["paths"].items():
            if not path.startswith("/v1/"):
                continue
            concrete = re.sub(r"\{[^}]+\}", "x1", path)
            for method in item:
                hits = [
                    rule
                    for r in routes
                    for rule in r["spec"]["rules"]
                    if rule["backendRefs"] == [{"name": service["name"], "port": service["port"]}]
                    and any(
                        m["method"] == method.upper()
                        and re.fullmatch(
                            m["path"]["value"].rstrip("$").replace("(?<", "(?P<"), concrete
                        )
                        for m in rule["matches"]
                    )
                ]
                assert hits, f"{service['name']}: {method.upper()} {path}"


def test_each_services_values_give_its_service_the_token_check_and_limit(checkout):
    schema = json.loads((ROOT / "services/chart/values.schema.json").read_text())
    defaults = yaml.safe_load((ROOT / "services/chart/values.yaml").read_text())
    plugins = {r["metadata"]["name"]: r for r in resources(checkout) if r["kind"] == "KongPlugin"}
    for service in catalogue():
        name = service["name"]
        overlay = yaml.safe_load((checkout / f"values-{name}.yaml").read_text())
        annotations = overlay["service"]["annotations"]
        attached = [plugins[p]["plugin"] for p in annotations["konghq.com/plugins"].split(",")]
        assert sorted(attached) == ["jwt", "rate-limiting"], (name, attached)
        assert annotations["konghq.com/upstream-policy"] == f"{name}-upstream"
        own = yaml.safe_load((ROOT / f"services/{name}/helm-values.yaml").read_text())
        # The chart's `service` values as Helm merges the files (an environment's own file
        # adds the image and secrets, outside this subtree).
        merged = {**defaults["service"], **own["service"], **overlay["service"]}
        service_schema = {
            "definitions": schema.get("definitions", {}),
            **schema["properties"]["service"],
        }
        jsonschema.validate(merged, service_schema)


@pytest.mark.parametrize(
    ("kind", "edit", "said"),
    [
        ("KongPlugin", lambda r: r.pop("plugin"), "'plugin' is a required property"),
        ("HTTPRoute", lambda r: r["spec"]["rules"][0]["backendRefs"][0].update(port="http"),
         "is not of type 'integer'"),
        ("KongUpstreamPolicy", lambda r: r["spec"].update(algorithm="fastest"), "is not one of"),
    ],
)  # fmt: skip
def test_the_crd_schemas_reject_a_wrong_resource(checkout, crds, kind, edit, said):
    resource = next(r for r in resources(checkout) if r["kind"] == kind)
    edit(resource)
    errors = list(
        jsonschema.Draft7Validator(crds[(resource["apiVersion"], kind)]).iter_errors(resource)
    )
    assert any(said in e.message for e in errors), [e.message for e in errors]


def test_check_is_green_then_reports_an_edited_checkout(checkout, public_key):
    out = checkout.parent
    proc = kubernetes_mode(out, public_key, "check")
    assert proc.returncode == 0, proc.stdout[-3000:]
    values = checkout / "values-cart.yaml"
    values.write_text(values.read_text().replace("cart-jwt,", ""))
    proc = kubernetes_mode(out, public_key, "check")
    assert proc.returncode != 0
    assert "['values-cart.yaml']" in proc.stdout and "differ" in proc.stdout, proc.stdout[-3000:]
    assert "cart-jwt," not in values.read_text()  # check wrote nothing


def test_stop_is_refused_with_its_reason(tmp_path, public_key):
    proc = kubernetes_mode(tmp_path, public_key, "stop")
    assert proc.returncode != 0 and "has no stop action" in proc.stdout, proc.stdout[-3000:]
    assert not (tmp_path / "kong").exists()
