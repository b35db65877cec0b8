"""services/chart, the one Helm chart for every service, checked offline with the bundle's
helm: `helm lint --strict` and `helm template` with each built service's values
(services/<service>/helm-values.yaml), every rendered object validated against the Kubernetes
API's own schemas by kubernetes-validate --strict; what the chart must hold (probes,
resources, HPA, PDB, restricted security context, migrations before the new version) is
asserted on the rendered objects; bad values are refused with a clear message."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.artifacts
STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
BUNDLE = Path(os.environ.get("MACH_ARTIFACTS_DIR", STATE / "artifacts"))
CHART = ROOT / "services" / "chart"
CATALOG = {
    s["name"]: s
    for s in yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())["services"]
}
BUILT = sorted(p.parent.name for p in (ROOT / "services").glob("*/helm-values.yaml"))
# The chart renders for the newest Kubernetes that kubernetes-validate has schemas of, and its
# objects validate against that one and the oldest the chart allows (Chart.yaml kubeVersion).
KUBERNETES = "1.37.0"
OLDEST = "1.30.0"
ENVIRONMENT = [
    "--set", "image.repository=registry.mach.internal/mach/{0}",
    "--set", "image.digest=sha256:" + "0" * 64,
    "--set", "credentialsSecret={0}-credentials",
    "--set", "service.env.MACH_ENVIRONMENT=staging",
]  # fmt: skip


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    (binary,) = (BUNDLE / "files" / "helm").glob("*/helm")
    return subprocess.run([str(binary), *args], capture_output=True, text=True, check=False,
                          timeout=120)  # fmt: skip


def environment(service: str) -> list[str]:
    return [a.format(service) for a in ENVIRONMENT]


def render(service: str, *more: str) -> subprocess.CompletedProcess[str]:
    values = ROOT / "services" / service / "helm-values.yaml"
    return helm("template", service, str(CHART), "-f", str(values), "--kube-version", KUBERNETES,
                *environment(service), *more)  # fmt: skip


def objects(service: str, *more: str) -> dict[str, dict]:
    proc = render(service, *more)
    assert proc.returncode == 0, proc.stderr
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(proc.stdout) if o}


def test_every_built_service_has_its_values_and_they_match_the_catalogue():
    built = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
    assert [s for s in built if s != "kit"] == BUILT
    for service in BUILT:
        values = yaml.safe_load((ROOT / "services" / service / "helm-values.yaml").read_text())
        assert values["service"] == {"name": service, "port": CATALOG[service]["port"]}


@pytest.mark.parametrize("service", BUILT)
def test_lint_and_the_kubernetes_schemas_pass(service, tmp_path):
    values = ROOT / "services" / service / "helm-values.yaml"
    proc = helm("lint", "--strict", str(CHART), "-f", str(values), "--kube-version", KUBERNETES,
                *environment(service))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = tmp_path / f"{service}.yaml"
    manifest.write_text(render(service).stdout)
    validate = Path(sys.executable).parent / "kubernetes-validate"
    for version in (OLDEST, KUBERNETES):
        proc = subprocess.run(
            [str(validate), "--strict", "--kubernetes-version", version, str(manifest)],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "ERROR" not in proc.stdout and "WARN" not in proc.stdout, proc.stdout


@pytest.mark.parametrize("service", BUILT)
def test_the_rendered_service_is_what_the_platform_expects(service):
    found = objects(service)
    project = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    scripts = set(project["project"]["scripts"])
    api = found[f"Deployment/{service}"]["spec"]
    pod = api["template"]["spec"]
    (container,) = pod["containers"]
    assert api["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"][0]["containerPort"] == CATALOG[service]["port"]
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["image"] == f"registry.mach.internal/mach/{service}@sha256:" + "0" * 64
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }  # fmt: skip
    # Secrets only as the kit's credential files, never in the environment.
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["CREDENTIALS_DIRECTORY"] == "/run/credentials"
    assert not any("PASSWORD" in k or k == "MACH_DATABASE_URL" for k in env)
    assert pod["volumes"][0]["secret"]["secretName"] == f"{service}-credentials"
    hpa = found[f"HorizontalPodAutoscaler/{service}"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert found[f"PodDisruptionBudget/{service}"]["spec"]["minAvailable"] == 1
    migrate = found[f"Job/{service}-migrate"]
    assert migrate["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert migrate["spec"]["template"]["spec"]["containers"][0]["command"] == [
        f"{service}-migrate", "upgrade", "head",
    ]  # fmt: skip
    # The relay runs where the service produces events, a consumer and housekeeping where it
    # has them, and each command the chart runs is one of the service's own console scripts.
    assert (f"Deployment/{service}-relay" in found) == bool(CATALOG[service].get("produces"))
    assert (f"CronJob/{service}-housekeeping" in found) == (f"{service}-housekeeping" in scripts)
    assert (f"Deployment/{service}-consumer" in found) == (f"{service}-consumer" in scripts)
    for name, obj in found.items():
        if obj["kind"] in ("Job", "Deployment", "CronJob") and name != f"Deployment/{service}":
            spec = obj["spec"].get("jobTemplate", {}).get("spec", obj["spec"])
            assert spec["template"]["spec"]["containers"][0]["command"][0] in scripts, name


def test_a_fixed_replica_count_without_autoscaling():
    found = objects("catalog", "--set", "autoscaling.enabled=false", "--set", "replicas=3")
    assert found["Deployment/catalog"]["spec"]["replicas"] == 3
    assert "HorizontalPodAutoscaler/catalog" not in found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "image.repository="], "/image/repository"),
        (["--set", "replicas=two"], "replicas"),
        (["--set", "colour=red"], "colour"),
        (["--set", "service.port=80"], "/service/port"),
        (["--set", "image.digest=sha256:abc"], "/image/digest"),
        (["--set", "service.env.MACH_DATABASE_URL=postgresql://x:y@db/z"], "MACH_DATABASE_URL"),
        (["--set", "autoscaling.maxReplicas=1"], "maxReplicas must be at least"),
        (["--set", "podDisruptionBudget.minAvailable=2"], "no node could ever be drained"),
        (["--set", "housekeeping.schedule=often"], "/housekeeping/schedule"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(args, message):
    proc = render("payment", *args)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr
