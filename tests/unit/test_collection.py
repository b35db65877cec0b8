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


def test_every_module_documented_for_ansible_doc():
    """Every module in the collection (none hand-listed) renders in ansible-doc with examples
    and return values; those that take a token share the connection options and are in the
    `mach.platform.vault` action group, those that take MinIO keys in `mach.platform.minio`,
    so module_defaults reaches them all."""
    names = sorted(p.stem for p in (COLLECTION / "plugins" / "modules").glob("*.py"))
    group = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())["action_groups"]
    fqcns = [f"mach.platform.{name}" for name in names]
    proc = run([tool("ansible-doc"), "-t", "module", "--json", *fqcns])
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    for name, fqcn in zip(names, fqcns, strict=True):
        doc = docs[fqcn]
        assert doc["examples"].strip() and doc["return"], name
        assert doc["doc"]["attributes"]["check_mode"]["support"] == "full", name
        options = set(doc["doc"]["options"])
        if "token" in options:
            assert {"url", "ca_cert", "validate_certs"} <= options, name
            assert name in group["vault"], f"{name} takes a token but is not in the vault group"
        if {"access_key", "secret_key"} <= options:
            assert {"url", "ca_cert", "validate_certs"} <= options, name
            assert name in group["minio"], f"{name} takes MinIO keys but is not in the minio group"


def test_catalog_filter_documented_for_ansible_doc():
    name = "mach.platform.catalog_problems"
    proc = run([tool("ansible-doc"), "-t", "filter", "--json", name])
    assert proc.returncode == 0, proc.stderr
    assert "catalog_kafka_acls" in json.loads(proc.stdout)[name]["doc"]["description"][1]
