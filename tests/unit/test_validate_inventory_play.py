"""site.yml's first play, run for real by ansible-playbook against broken inventories: it
fails before touching any host, and its message names the host/group and the fix."""

import shutil

import pytest
import yaml

from conftest import ROOT, run, tool


def broken_inventory(tmp_path, mutate):
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "dev", inv, symlinks=False)
    hosts = yaml.safe_load((inv / "hosts.yml").read_text())
    mutate(hosts["all"])
    (inv / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return inv


def validate(inv):
    return run([tool("ansible-playbook"), "-i", str(inv), "playbooks/validate_inventory.yml"])


def test_valid_inventory_passes(tmp_path):
    proc = validate(broken_inventory(tmp_path, lambda a: None))
    assert proc.returncode == 0, proc.stdout


def _even_quorum(a):
    a["hosts"]["dev-d1"] = {"ansible_host": "dev-d1.dev.mach.example", "mach_zone": "zone-a"}
    a["children"]["data"]["hosts"]["dev-d1"] = {}


def _same_zone(a):
    a["hosts"]["dev-c1"]["mach_zone"] = "zone-b"


def _no_zone(a):
    del a["hosts"]["dev-b1"]["mach_zone"]


def _unknown_zone(a):
    a["hosts"]["dev-b1"]["mach_zone"] = "zone-x"


def _typo_group(a):
    a["children"]["databse"] = {"hosts": {"dev-a1": {}}}


CASES = [
    (_even_quorum, ["quorum group data has 4 members", "use an odd number"]),
    (
        _same_zone,
        [
            "quorum group data: 2 of 3 members (dev-b1, dev-c1) are in zone-b",
            "zone zone-c has no hosts",
        ],
    ),
    (_no_zone, ["host dev-b1: mach_zone is not set"]),
    (_unknown_zone, ["host dev-b1: mach_zone 'zone-x' is not one of mach_zones"]),
    (_typo_group, ["group databse (hosts dev-a1) is not a node group"]),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_broken_inventory_fails_early_and_says_why(tmp_path, mutate, expected):
    proc = validate(broken_inventory(tmp_path, mutate))
    assert proc.returncode != 0
    assert "Gathering Facts" not in proc.stdout  # no host was touched
    for text in expected:
        assert text in proc.stdout, proc.stdout


def test_missing_env_variable_is_named(tmp_path):
    inv = broken_inventory(tmp_path, lambda a: None)
    env = inv / "group_vars" / "all" / "99-env.yml"
    data = yaml.safe_load(env.read_text())
    data["mach_domain"] = ""
    env.write_text(yaml.safe_dump(data))
    proc = validate(inv)
    assert proc.returncode != 0
    assert (
        "mach_domain is not set; set it in the inventory's group_vars/all/99-env.yml" in proc.stdout
    )
