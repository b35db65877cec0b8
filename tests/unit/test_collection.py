"""The mach.platform collection builds, and its plugins are documented for ansible-doc."""

import json

import yaml

from conftest import ROOT, run, tool

COLLECTION = ROOT / "collections" / "ansible_collections" / "mach" / "platform"


def test_collection_builds(tmp_path):
    proc = run(
        [
            tool("ansible-galaxy"),
            "collection",
            "build",
            str(COLLECTION),
            "--output-path",
            str(tmp_path),
        ]
    )
    assert proc.returncode == 0, proc.stderr
    version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    assert (tmp_path / f"mach-platform-{version}.tar.gz").is_file()


def test_filter_documented_for_ansible_doc():
    name = "mach.platform.inventory_problems"
    proc = run([tool("ansible-doc"), "-t", "filter", "--json", name])
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[name]
    assert doc["doc"]["short_description"].startswith("List what is wrong with a MACH inventory")
    assert set(doc["doc"]["options"]) == {"_input", "groups", "rules"}
    assert "inventory_problems(groups)" in doc["examples"]
    assert doc["return"]["_value"]["elements"] == "str"


def test_vault_modules_documented_for_ansible_doc():
    for name in (
        "vault_policy",
        "vault_secrets_engine",
        "vault_auth_method",
        "vault_pki_role",
    ):
        fqcn = f"mach.platform.{name}"
        proc = run([tool("ansible-doc"), "-t", "module", "--json", fqcn])
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)[fqcn]
        # The shared connection options come from the doc fragment.
        assert {"url", "token", "ca_cert", "state"} <= set(doc["doc"]["options"]), name
        assert doc["examples"].strip() and doc["return"], name
        assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"


def test_vault_init_and_unseal_documented_for_ansible_doc():
    for name in ("vault_init", "vault_unseal", "vault_pki_ca", "keycloak_realm"):
        fqcn = f"mach.platform.{name}"
        proc = run([tool("ansible-doc"), "-t", "module", "--json", fqcn])
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)[fqcn]
        assert {"url", "ca_cert"} <= set(doc["doc"]["options"]) or name == "keycloak_realm"
        assert doc["examples"].strip() and doc["return"], name


def test_catalog_filter_documented_for_ansible_doc():
    name = "mach.platform.catalog_problems"
    proc = run([tool("ansible-doc"), "-t", "filter", "--json", name])
    assert proc.returncode == 0, proc.stderr
    assert "catalog_kafka_acls" in json.loads(proc.stdout)[name]["doc"]["description"][1]
