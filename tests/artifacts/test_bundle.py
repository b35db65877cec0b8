"""The air-gap bundle as `make artifacts` built it: complete, pinned, usable with no network.

Runs after `make artifacts` (marker `artifacts`); the bundle lives in MACH_ARTIFACTS_DIR
(default /var/lib/mach-platform/artifacts).
"""

import json
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run, tool
from mach_ops.artifacts import load_manifest, sha256

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
