"""Every role keeps the suite's contract: typed argument specs covering every default,
prefixed variables, the action dispatcher, a README and a Molecule scenario with a verifier."""

import pytest
import yaml

from conftest import ROOT

ROLES = sorted(p.parent.parent.name for p in ROOT.glob("roles/*/tasks/main.yml"))


def load(path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_role_files(role):
    base = ROOT / "roles" / role
    for rel in (
        "meta/argument_specs.yml",
        "defaults/main.yml",
        "README.md",
        "molecule/default/molecule.yml",
        "molecule/default/converge.yml",
    ):
        assert (base / rel).is_file(), rel
    assert list((base / "molecule/default/tests").glob("test_*.py")), "no testinfra verifier"


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_prefixed_and_documented(role):
    base = ROOT / "roles" / role
    defaults = load(base / "defaults/main.yml")
    spec = load(base / "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert all(k.startswith(f"{role}_") for k in defaults), [
        k for k in defaults if not k.startswith(role)
    ]
    assert set(defaults) <= set(spec), f"undocumented: {sorted(set(defaults) - set(spec))}"
    for name, option in spec.items():
        assert option.get("description"), f"{name} has no description"
        assert option.get("type"), f"{name} has no type"


@pytest.mark.parametrize("role", ROLES)
def test_action_contract(role):
    base = ROOT / "roles" / role
    spec = load(base / "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    actions = spec["mach_action"]["choices"]
    assert {"deploy", "reconfigure", "check"} <= set(actions)
    main = (base / "tasks/main.yml").read_text()
    for action in actions:
        assert f"{action}:" in main, f"main.yml does not dispatch {action}"
        target = "deploy" if action == "reconfigure" else action
        assert (base / "tasks" / f"{target}.yml").is_file(), f"tasks/{target}.yml"
