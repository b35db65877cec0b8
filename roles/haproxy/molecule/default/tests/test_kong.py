"""Role kong's configuration on the load balancers (mol-b, mol-c), without Kong (it is not
obtainable here: kong_install false). The declarative file each node holds is the one decK
generated on the controller from the catalogue's OpenAPI documents: the same on both, accepted
by decK's validator and the platform's lint ruleset, every catalogue service sent to the app
node (mol-a) at its port; the proxy's certificate is the internal CA's and names the API's
host; nothing of Kong runs or listens; check is green and reports a hand-edited file, which a
deploy puts back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from mach_ops import runs
from mach_ops.molecule import node, playbook

testinfra_hosts = ["ansible://mol-b", "ansible://mol-c"]

SCENARIO = Path(__file__).resolve().parent.parent
ROOT = SCENARIO.parents[3]
LBS = ("mol-b", "mol-c")
KONG_YML = "/etc/kong/kong.yml"
STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
DECK = Path(os.environ.get("MACH_TOOLS_DIR", STATE / "tools")) / "bin" / "deck"


def action(name: str) -> subprocess.CompletedProcess[str]:
    return playbook(SCENARIO / "kong-action.yml", "-e", f"mach_action={name}")


def deck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DECK), "file", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_files_are_root_owned_and_readable_by_kong_only(host):
    for path in ("/etc/kong/kong.conf", KONG_YML):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "kong", 0o640), path
    assert "database = off" in host.file("/etc/kong/kong.conf").content_string


def test_the_proxy_certificate_is_the_internal_cas_and_names_the_api(host):
    tls = "/etc/kong/tls"
    assert host.run(f"openssl verify -CAfile {tls}/ca.crt {tls}/kong.crt").rc == 0
    san = host.check_output(f"openssl x509 -in {tls}/kong.crt -noout -ext subjectAltName")
    assert "DNS:api.molecule.test" in san and f"DNS:{host.backend.host}" in san


def test_nothing_of_kong_is_installed_or_listens(host):
    assert not host.file("/usr/local/bin/kong").exists
    assert not host.package("kong").is_installed
    listening = host.check_output("ss -Hltn")
    for port in (9443, 9080, 8001, 8100):
        assert f":{port} " not in listening, port


def test_the_nodes_hold_one_configuration_decK_and_the_ruleset_accept(tmp_path):
    texts = {n: node(n).file(KONG_YML).content_string for n in LBS}
    assert texts["mol-b"] == texts["mol-c"]
    path = tmp_path / "kong.yml"
    path.write_text(texts["mol-b"])
    for args in (
        ("validate", "--analytics=false", str(path)),
        ("lint", "--analytics=false", "--fail-severity", "warn", "--state", str(path),
         str(ROOT / "roles/kong/files/ruleset.yml")),
    ):  # fmt: skip
        proc = deck(*args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load(texts["mol-b"])
    catalogue = yaml.safe_load((ROOT / "services/catalog.yml").read_text())["services"]
    assert {s["name"] for s in config["services"]} == {s["name"] for s in catalogue}
    targets = {u["name"]: [t["target"] for t in u["targets"]] for u in config["upstreams"]}
    assert targets == {f"{s['name']}.upstream": [f"mol-a:{s['port']}"] for s in catalogue}


def test_check_is_green_reports_a_hand_edit_and_deploy_puts_it_back():
    run = action("check")
    assert run.returncode == 0, run.stdout[-3000:]
    recap = runs.recap(run.stdout)
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap

    edited = node("mol-c")
    assert edited.run(f"sed -i 's/limit_by: consumer/limit_by: ip/' {KONG_YML}").rc == 0
    run = action("check")
    out = " ".join(runs.plain(run.stdout + run.stderr).split())
    # The message is quoted in the failure's output: the list's quotes come doubled.
    assert run.returncode != 0 and KONG_YML in out and "on mol-c differ" in out, out[-2000:]

    run = action("deploy")
    assert run.returncode == 0, run.stdout[-3000:]
    assert runs.recap(run.stdout)["mol-c"]["changed"] >= 1
    assert "limit_by: ip" not in edited.file(KONG_YML).content_string
    run = action("check")
    assert run.returncode == 0, run.stdout[-3000:]
