"""Environment parity: every inventory has the same group_vars tree, the shared files are the
same files, and an environment overrides only what mach_env_overridable allows. Every
inventory passes the platform's validation rules (the filter site.yml runs first)."""

import json
import os

import pytest
import yaml

from ansible_collections.mach.platform.plugins.filter.inventory import inventory_problems
from conftest import ROOT, run, tool

ENVS = ["local", "dev", "staging", "prod"]
SHARED = ROOT / "inventories" / "shared" / "group_vars" / "all"


def group_vars_files(env):
    return sorted(p.name for p in (ROOT / "inventories" / env / "group_vars" / "all").iterdir())


def test_same_group_vars_tree_everywhere():
    trees = {env: group_vars_files(env) for env in ENVS}
    assert len({tuple(t) for t in trees.values()}) == 1, trees
    assert "99-env.yml" in trees["prod"]
    shared = {p.name for p in SHARED.iterdir()}
    assert shared <= set(trees["prod"]), (
        f"not linked into the inventories: {shared - set(trees['prod'])}"
    )


@pytest.mark.parametrize("env", ENVS)
def test_shared_files_are_the_shared_files(env):
    for name in group_vars_files(env):
        if name == "99-env.yml":
            continue
        path = ROOT / "inventories" / env / "group_vars" / "all" / name
        assert path.is_symlink(), f"{path} must link to inventories/shared"
        assert os.path.realpath(path) == os.path.realpath(SHARED / name)


@pytest.mark.parametrize("env", ENVS)
def test_env_overrides_only_what_may_differ(env):
    overridable = set(
        yaml.safe_load((SHARED / "00-platform.yml").read_text())["mach_env_overridable"]
    )
    env_vars = yaml.safe_load(
        (ROOT / "inventories" / env / "group_vars" / "all" / "99-env.yml").read_text()
    )
    assert set(env_vars) <= overridable, f"{env} overrides {sorted(set(env_vars) - overridable)}"


@pytest.fixture(scope="module")
def inventories():
    out = {}
    for env in ENVS:
        proc = run([tool("ansible-inventory"), "-i", f"inventories/{env}", "--list"])
        assert proc.returncode == 0, proc.stderr
        out[env] = json.loads(proc.stdout)
    return out


def _groups(data):
    from mach_ops.inventory import group_members

    return {g: sorted(h) for g, h in group_members(data).items()}


@pytest.mark.parametrize("env", ENVS)
def test_every_inventory_is_valid(inventories, env):
    data = inventories[env]
    hostvars = data["_meta"]["hostvars"]
    assert inventory_problems(hostvars, {"all": sorted(hostvars), **_groups(data)}) == []


@pytest.mark.parametrize("env", ENVS)
def test_every_env_has_every_node_group(inventories, env):
    groups = _groups(inventories[env])
    node_groups = yaml.safe_load((SHARED / "00-platform.yml").read_text())["mach_node_groups"]
    assert all(groups.get(g) for g in node_groups), [g for g in node_groups if not groups.get(g)]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_sample_inventories_address_no_real_network(inventories, env):
    """Sample hosts are names under .example (RFC 2606): no tool can reach them by accident."""
    for name, hv in inventories[env]["_meta"]["hostvars"].items():
        assert hv["ansible_host"].endswith(".mach.example"), name
