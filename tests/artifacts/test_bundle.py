"""The air-gap bundle as `make artifacts` built it: complete, pinned, usable with no network.

Runs after `make artifacts` (marker `artifacts`); the bundle lives in MACH_ARTIFACTS_DIR
(default /var/lib/mach-platform/artifacts).
"""

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run, tool
from mach_ops.artifacts import load_manifest, sha256
from mach_ops.testing import opensearch_single_node

pytestmark = pytest.mark.artifacts
STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
BUNDLE = Path(os.environ.get("MACH_ARTIFACTS_DIR", STATE / "artifacts"))
MANIFEST = load_manifest(ROOT / "artifacts" / "manifest.yml")


def file_of(name):
    (a,) = [a for a in MANIFEST.artifacts if a.name == name]
    (fname,) = a.files
    return BUNDLE / a.directory / fname, a


def test_every_artifact_is_pinned_and_in_the_index():
    index = json.loads((BUNDLE / "index.json").read_text())
    for a in MANIFEST.artifacts:
        assert all(a.files.values()), f"{a.name} has unpinned files"
        assert index[a.name]["version"] == a.version
        for fname, digest in a.files.items():
            path = BUNDLE / a.directory / fname
            assert index[a.name]["files"][f"{a.directory}/{fname}"] == digest
            assert sha256(path) == digest, path


def test_second_build_is_a_no_op():
    proc = run([tool("mach"), "artifacts", "build", "--cache", str(BUNDLE)])
    assert proc.returncode == 0, proc.stderr
    assert (
        f"{len(MANIFEST.artifacts)} artifacts (0 built, {len(MANIFEST.artifacts)} cached)"
        in proc.stdout
    )


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("openbao", ["version"], "OpenBao v2.7.2"),
        ("envoy", ["--version"], "1.36.4"),
        ("helm", ["version", "--short"], "v3.22.0"),
        ("minio", ["--version"], "minio version"),
        ("jaeger", ["components"], "Jaeger backend v2"),
    ],
)
def test_binaries_run(name, args, expected):
    path, _ = file_of(name)
    out = subprocess.run(
        [str(path), *args], capture_output=True, text=True, check=False, timeout=60
    )
    assert expected in out.stdout + out.stderr


def test_kafka_jarset_starts_the_kraft_storage_tool(tmp_path):
    path, a = file_of("kafka")
    with tarfile.open(path) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path, filter="data")
    assert f"kafka-{a.version}/libs/kafka_2.13-{a.version}.jar" in names
    assert f"kafka-{a.version}/libs/kafka-tools-{a.version}.jar" in names
    libs = tmp_path / f"kafka-{a.version}" / "libs" / "*"
    out = subprocess.run(
        ["java", "-cp", str(libs), "kafka.tools.StorageTool", "random-uuid"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(out.stdout.strip()) == 22  # a base64 cluster id


def _get(url, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


@pytest.fixture
def open_dir():
    """A scratch directory an unprivileged user can reach (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="mach-bundle-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_opensearch_home_starts_with_every_module_and_the_security_plugin(open_dir):
    """The assembled home runs as a real node (unprivileged, as the role runs it): every
    module loads from its generated descriptor and policy, the security plugin loads beside
    them (no jar clash), and painless scripts work. Security itself is exercised by the
    opensearch role's scenario, which gives the nodes their certificates."""
    tmp_path = open_dir
    path, a = file_of("opensearch")
    with tarfile.open(path) as tar:
        tar.extractall(tmp_path, filter="data")
    home = tmp_path / f"opensearch-{a.version}"
    # The client compiler alone: this node only starts and answers once.
    argv, http = opensearch_single_node(
        home, tmp_path, "256m", ["-XX:TieredStopAtLevel=1"], "bundle-test"
    )
    node = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{http}"
    try:
        deadline = time.monotonic() + 120
        info = None
        while info is None and node.poll() is None and time.monotonic() < deadline:
            try:
                info = _get(base)
            except OSError:
                time.sleep(1)
        assert info is not None, node.stdout.read() if node.poll() is not None else "timeout"
        assert info["version"]["number"] == a.version
        nodes = _get(f"{base}/_nodes/plugins")["nodes"]
        ((loaded, plugins),) = [
            ({m["name"] for m in n["modules"]}, {p["name"] for p in n["plugins"]})
            for n in nodes.values()
        ]
        assert loaded == {m["name"] for m in a.source["modules"]} | {"transport-netty4"}
        assert plugins == {p["name"] for p in a.source["plugins"]}
        _get(f"{base}/t/_doc/1?refresh=true", {"n": 21}, method="PUT")
        script = {"script_fields": {"d": {"script": {"source": "doc['n'].value * 2"}}}}
        hits = _get(f"{base}/t/_search", script)["hits"]["hits"]
        assert hits[0]["fields"]["d"] == [42]
    finally:
        node.terminate()
        node.wait(timeout=60)


def test_keycloak_distribution_zip():
    path, a = file_of("keycloak")
    with zipfile.ZipFile(path) as z:
        assert f"keycloak-{a.version}/bin/kc.sh" in z.namelist()


def test_apt_repository_is_signed():
    dist = BUNDLE / "apt" / "dists" / MANIFEST.debian_release
    keyring = BUNDLE / "apt" / "mach-archive-keyring.gpg"
    out = subprocess.run(
        ["gpgv", "--keyring", str(keyring), str(dist / "Release.gpg"), str(dist / "Release")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


def test_role_packages_install_with_no_network():
    """A node with no network at all installs role common's packages from the bundle only."""
    (a,) = [a for a in MANIFEST.artifacts if a.kind == "debian" and a.role == "common"]
    image = "mach/debian12-systemd:latest"
    script = (
        "set -e; rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; "
        "echo 'deb [signed-by=/bundle/mach-archive-keyring.gpg] file:/bundle "
        f"{MANIFEST.debian_release} main'"
        " > /etc/apt/sources.list.d/mach.list; apt-get update -qq; "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        + " ".join(a.source["packages"])
        + " >/dev/null; dpkg -s prometheus-node-exporter chrony nftables | grep -c 'ok installed'"
    )
    out = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{BUNDLE / 'apt'}:/bundle:ro",
            image,
            "/bin/sh",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.strip().endswith("3")


@pytest.fixture(scope="module")
def services_runtime(tmp_path_factory):
    """The services' two archives unpacked, as the app nodes unpack them."""
    (a,) = [a for a in MANIFEST.artifacts if a.kind == "python-services"]
    where = tmp_path_factory.mktemp("services-runtime")
    for archive in ("deps.tar.gz", "services.tar.gz"):
        with tarfile.open(BUNDLE / a.directory / archive) as tar:
            tar.extractall(where, filter="data")
    # The role reads the release's checksum from this file on the controller.
    digest = (BUNDLE / a.directory / "services.sha256").read_text().strip()
    assert digest == sha256(BUNDLE / a.directory / "services.tar.gz")
    return where


def _pins(text: str) -> dict[str, str]:
    """name -> version of `name==version` lines (a lock, or pip freeze), names normalised."""
    rows = (line.split("==") for line in text.splitlines() if "==" in line)
    return {name.lower().replace("_", "-"): version for name, version in rows}


CATALOGUE = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())


@pytest.mark.parametrize("service", [s["name"] for s in CATALOGUE["services"]])
def test_each_service_installs_from_the_bundle_alone_at_its_locks_versions(
    services_runtime, service, tmp_path
):
    """What role mach_services does on a node: a venv without pip, filled by pip from its
    wheel with no index; every installed distribution is at the version the service's lock
    pins, its commands are there and its app imports."""
    deps, release = services_runtime / "deps", services_runtime / "services"
    (pip,) = deps.glob("pip-*.whl")
    (wheel,) = release.glob(f"mach_{service}-*.whl")
    (kit,) = release.glob("mach_service_kit-*.whl")
    venv = tmp_path / "venv"
    made = run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    proc = run(
        [
            str(venv / "bin/python"),
            f"{pip}/pip",
            "install",
            "-q",
            "--no-index",
            "--no-compile",
            "--disable-pip-version-check",
            "--find-links",
            str(deps),
            "-c",
            str(release / "constraints" / f"{service}.txt"),
            str(wheel),
            str(kit),
        ]
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    freeze = run([str(venv / "bin/python"), f"{pip}/pip", "freeze", "--all"]).stdout
    lock = _pins((ROOT / "services" / service / "requirements.lock").read_text())
    installed = {n: v for n, v in _pins(freeze).items() if not n.startswith("mach-")}
    assert installed and {n: v for n, v in installed.items() if lock.get(n) != v} == {}
    assert (venv / "bin" / "uvicorn").exists() and (venv / "bin" / f"{service}-migrate").exists()
    imported = run([str(venv / "bin/python"), "-c", f"import {service}.main"])
    assert imported.returncode == 0, imported.stderr[-2000:]
