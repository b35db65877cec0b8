"""Terraform → Ansible hand-off: the inventory module formats, validates, passes its own
`terraform test`, and what it renders is a valid inventory for the suite's rules."""

import json
import shutil

import pytest
import yaml

from ansible_collections.mach.platform.plugins.filter.inventory import inventory_problems
from conftest import ROOT, run, tool

TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="no terraform binary on this machine")
MODULE = ROOT / "terraform" / "modules" / "ansible_inventory"
ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


@pytest.fixture(scope="module")
def module_copy(tmp_path_factory):
    dest = tmp_path_factory.mktemp("tf") / "ansible_inventory"
    shutil.copytree(MODULE, dest)
    return dest


def tf(cwd, *args):
    proc = run([TERRAFORM, *args], cwd=cwd, env=ENV, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_fmt_validate_and_terraform_test(module_copy):
    tf(module_copy, "fmt", "-check", "-recursive")
    tf(module_copy, "init", "-backend=false", "-input=false")
    tf(module_copy, "validate")
    assert "2 passed, 0 failed" in tf(module_copy, "test").stdout


def test_rendered_inventory_passes_the_platform_rules(module_copy, tmp_path):
    example = module_copy / "examples" / "three_zones"
    tf(example, "init", "-input=false")
    tf(example, "apply", "-auto-approve", "-input=false")
    rendered = yaml.safe_load(tf(example, "output", "-raw", "inventory_yaml").stdout)
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "dev" / "group_vars", inv / "group_vars")
    (inv / "hosts.yml").write_text(yaml.safe_dump(rendered))
    proc = run([tool("ansible-inventory"), "-i", str(inv), "--list"])
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    hostvars = data["_meta"]["hostvars"]
    groups = {g: v.get("hosts", []) for g, v in data.items() if g not in ("_meta", "all")}
    assert inventory_problems(hostvars, {"all": sorted(hostvars), **groups}) == []
    assert groups["data"] == ["dev-a1", "dev-b1", "dev-c1"]
