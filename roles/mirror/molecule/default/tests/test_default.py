"""Verify role mirror (playbooks/base.yml on an air-gapped network): mol-a serves the bundle;
the other nodes fetch files by their pinned sha256 and resolve packages from its signed apt
repository only."""

import os
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner
import yaml

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = ["mol-b", "mol-c"]
ROOT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]).parents[1]
MANIFEST = yaml.safe_load((ROOT / "artifacts" / "manifest.yml").read_text())
RELEASE = MANIFEST["debian_release"]


def mirror():
    return testinfra.get_host(f"ansible://mol-a?ansible_inventory={INVENTORY}")


def test_mirror_serves_and_verifies_its_bundle():
    a = mirror()
    assert a.service("nginx").is_running
    assert a.run("cd /srv/mach-mirror && sha256sum --quiet --check SHA256SUMS").rc == 0
    assert a.check_output("curl -fsS http://127.0.0.1:8080/healthz") == "ok"


@pytest.mark.parametrize(
    "entry", [e for e in MANIFEST["artifacts"] if e["kind"] != "debian"], ids=lambda e: e["name"]
)
def test_files_fetched_over_the_network_match_their_pins(host, entry):
    ((name, digest),) = entry["files"].items()
    url = f"http://mol-a:8080/files/{entry['name']}/{entry['version']}/{name}"
    got = host.check_output(f"curl -fsS {url} | sha256sum").split()[0]
    assert got == digest


def test_nothing_outside_the_bundle_is_served(host):
    for path in ("/", "/etc/passwd", "/files/../../etc/passwd", "/.build-x/"):
        code = host.check_output(
            f"curl -s -o /dev/null -w '%{{http_code}}' --path-as-is http://mol-a:8080{path}"
        )
        assert code in ("400", "404"), (path, code)


def test_packages_resolve_from_the_signed_mirror_only(host):
    host.check_output(
        "curl -fsS -o /tmp/mach-archive-keyring.gpg http://mol-a:8080/apt/mach-archive-keyring.gpg"
    )
    source = f"deb [signed-by=/tmp/mach-archive-keyring.gpg] http://mol-a:8080/apt {RELEASE} main"
    host.check_output(f"echo '{source}' > /tmp/mirror.list")
    only_mirror = "-o Dir::Etc::SourceList=/tmp/mirror.list -o Dir::Etc::SourceParts=/dev/null"
    update = host.run(f"apt-get {only_mirror} update")
    assert update.rc == 0, update.stderr
    assert "NO_PUBKEY" not in update.stderr and "not signed" not in update.stderr
    policy = host.check_output(f"apt-cache {only_mirror} policy prometheus-node-exporter")
    assert "http://mol-a:8080/apt" in policy
    fetched = host.run(f"cd /tmp && apt-get {only_mirror} download chrony")
    assert fetched.rc == 0, fetched.stderr
