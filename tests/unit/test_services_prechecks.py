"""Role mach_services refuses bad input before it touches a host: ansible-playbook runs the
role on localhost with each mistake and must stop in its prechecks with a message that names
it (and write nothing: the prechecks come first)."""

import json

import pytest

from conftest import ROOT, run, tool

PLAY = """
- name: mach_services prechecks
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    mach_catalog: "{{ lookup('ansible.builtin.file', catalog) | from_yaml }}"
    mach_files_repo: http://mirror.invalid/files
  tasks:
    - name: Apply role mach_services
      ansible.builtin.include_role:
        name: mach_services
"""

GOOD = {
    "catalog": str(ROOT / "services" / "catalog.yml"),
    "mach_services_enabled": ["catalog"],
    "mach_services_release_sha256": "a" * 64,
    "mach_services_credentials": {
        "catalog": {"database_url": "postgresql+asyncpg://catalog_app:s3cr3t-x@db:5432/catalog"}
    },
    "mach_services_common_settings": {"jwt_issuer": "https://idp.invalid/realms/mach"},
}


def play(tmp_path, **changes):
    (tmp_path / "play.yml").write_text(PLAY)
    extra = {**GOOD, **changes}
    return run(
        [
            tool("ansible-playbook"),
            "-i",
            "localhost,",
            str(tmp_path / "play.yml"),
            "--check",
            "-e",
            json.dumps(extra),
            "-e",
            "mach_action=migrate",
        ],
        env={"ANSIBLE_ROLES_PATH": str(ROOT / "roles")},
    )


def test_good_input_passes_the_prechecks(tmp_path):
    proc = play(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "s3cr3t-x" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mach_services_enabled": ["catalog", "shop"]}, "services/catalog.yml lacks: shop"),
        (
            {"mach_services_credentials": {}},
            "No database_url in mach_services_credentials for: catalog",
        ),
        (
            {"mach_services_credentials": {"catalog": {"redis_url": "redis://x"}}},
            "No database_url in mach_services_credentials for: catalog",
        ),
        ({"mach_services_settings": {"shop": {"log_level": "DEBUG"}}}, "the catalogue lacks: shop"),
        (
            {"mach_services_settings": {"catalog": {"kafka_password": "hunter2-x"}}},
            "no secret",
        ),
        ({"mach_services_common_settings": {"Log-Level": "DEBUG"}}, "lower-case setting names"),
        ({"mach_services_release_sha256": ""}, "run `make artifacts`"),
    ],
)
def test_bad_input_stops_in_the_prechecks_with_its_reason(tmp_path, changes, message):
    proc = play(tmp_path, **changes)
    assert proc.returncode != 0
    out = " ".join((proc.stdout + proc.stderr).split())
    assert message in out, out[-3000:]
    assert "Prechecks |" in out
    assert "hunter2-x" not in out and "s3cr3t-x" not in out
