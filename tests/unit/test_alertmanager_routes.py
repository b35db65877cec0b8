"""Alertmanager's routing as code (roles/alertmanager): for every inventory, the role's own
configuration tasks (tasks/config.yml) render alertmanager.yml on the controller, amtool
checks it and proves every routing case of alertmanager_route_tests with
`amtool config routes test`; a case that expects the wrong receiver fails the run and leaves
the configuration in place untouched."""

import grp
import os

import pytest
import yaml

from conftest import ROOT, run, tool

# local keeps alerts in the API only; prod sends pages to a webhook and tickets by e-mail.
INVENTORIES = ["local", "prod"]

PLAY = """
- name: Alertmanager's configuration, rendered and proven on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Configuration tasks of role alertmanager
      ansible.builtin.include_role:
        name: alertmanager
        tasks_from: config.yml
"""


def render(tmp_path, amtool, inventory, *extra):
    (tmp_path / "play.yml").write_text(PLAY)
    return run(
        [
            tool("ansible-playbook"),
            "-i",
            f"inventories/{inventory}",
            str(tmp_path / "play.yml"),
            "-e",
            f"alertmanager_conf_dir={tmp_path}",
            "-e",
            f"__alertmanager_amtool={amtool}",
            "-e",
            f"__alertmanager_config_group={grp.getgrgid(os.getgid()).gr_name}",
            "-e",
            "__alertmanager_service=false",
            *extra,
        ],
        timeout=300,
    )


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_routing_case_reaches_its_receivers(tmp_path, amtool, inventory):
    proc = render(tmp_path, amtool, inventory)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    config = yaml.safe_load((tmp_path / "alertmanager.yml").read_text())
    assert config["route"]["receiver"] == "tickets"
    assert {r["name"] for r in config["receivers"]} >= {"pager", "tickets"}
    # one line per proven case, each naming its receivers
    assert proc.stdout.count("-> ['") >= 3, proc.stdout
    if inventory == "prod":
        receivers = {r["name"]: r for r in config["receivers"]}
        assert receivers["pager"]["webhook_configs"][0]["url"].startswith("https://")
        assert receivers["tickets"]["email_configs"][0]["to"].endswith(".example")
        assert config["global"]["smtp_smarthost"].endswith(":587")


def test_a_wrong_case_fails_and_leaves_the_configuration_alone(tmp_path, amtool):
    assert render(tmp_path, amtool, "local").returncode == 0
    before = (tmp_path / "alertmanager.yml").read_text()
    cases = tmp_path / "cases.yml"
    cases.write_text(
        yaml.safe_dump(
            {
                "alertmanager_route_tests": [
                    {
                        "labels": {"alertname": "VaultSealed", "severity": "page"},
                        "receivers": ["tickets"],
                    }
                ]
            }
        )
    )
    proc = render(
        tmp_path, amtool, "local", "-e", f"@{cases}", "-e", "alertmanager_resolve_timeout=7m"
    )
    assert proc.returncode != 0
    assert "VaultSealed" in proc.stdout and "amtool" in proc.stdout, proc.stdout[-3000:]
    assert (tmp_path / "alertmanager.yml").read_text() == before
    assert "7m" in (tmp_path / "alertmanager.yml.candidate").read_text()


def test_amtool_is_the_packaged_one(amtool):
    proc = run([amtool, "--version"])
    assert proc.returncode == 0 and "0.25" in proc.stdout + proc.stderr
    assert (ROOT / "roles" / "alertmanager" / "tasks" / "config.yml").exists()
