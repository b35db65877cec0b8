"""Shared helpers for the suite's tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script of the venv running the tests."""
    return str(BIN / name)


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        cmd,
        cwd=kwargs.pop("cwd", ROOT),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        **kwargs,
    )


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def fleet():
    """The converged local fleet, one per session for tests/site and tests/drills
    (tests/fleetlib.py)."""
    from fleetlib import converged_fleet

    yield from converged_fleet()


RENDER_PLAY = """
- name: A role's files, rendered as a site's run renders them
  hosts: "{{ target }}"
  connection: local
  gather_facts: false
  tasks:
    - name: Prechecks, and the role's defaults and variables
      ansible.builtin.import_role:
        name: "{{ role }}"
        tasks_from: prechecks.yml

    - name: The role's task files the files depend on (a generation, say)
      ansible.builtin.include_role:
        name: "{{ role }}"
        tasks_from: "{{ item }}"
      loop: "{{ task_files }}"

    - name: The files
      ansible.builtin.template:
        src: "{{ role_dir }}/templates/{{ item }}.j2"
        dest: "{{ out }}/{{ item }}"
        mode: "0600"
      loop: "{{ files }}"

    - name: Facts those tasks set, as files
      ansible.builtin.copy:
        content: "{{ lookup('ansible.builtin.vars', item.value) }}"
        dest: "{{ out }}/{{ item.key }}"
        mode: "0600"
      loop: "{{ facts | dict2items }}"
"""


def run_prod_play(play: str, out: Path, group: str, variables: dict) -> subprocess.CompletedProcess:
    """`play` (its hosts: "{{ target }}") run on the controller for the first host of `group` in
    the production inventory, from `out`, with `variables` as extra vars (plus `target`, `out`)."""
    hosts = yaml.safe_load((ROOT / "inventories/prod/hosts.yml").read_text())
    target = next(iter(hosts["all"]["children"][group]["hosts"]))
    (out / "play.yml").write_text(play)
    extra = {
        "target": target,
        "out": str(out),
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        **variables,
    }
    return run(
        [tool("ansible-playbook"), "-i", "inventories/prod", str(out / "play.yml"),
         "-e", json.dumps(extra)]
    )  # fmt: skip


def render_role_files(
    role: str,
    files: list[str],
    out: Path,
    group: str,
    variables: dict,
    task_files: tuple[str, ...] = (),
    facts: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """`files` (templates/<file>.j2 of roles/<role>) rendered into `out` for the first host of
    `group` in the production inventory, after the role's prechecks (which fail the run on bad
    input) and its `task_files`, with `variables` as extra vars: what a site's run would write
    on that host. `facts` ({file name: fact}) writes facts those tasks set into `out` too."""
    extra = {
        "role": role,
        "role_dir": str(ROOT / "roles" / role),
        "files": files,
        "task_files": list(task_files),
        "facts": facts or {},
        **variables,
    }
    return run_prod_play(RENDER_PLAY, out, group, extra)


@pytest.fixture(scope="session")
def rsa_public_key() -> str:
    """A fresh RSA public key in PEM, like a Keycloak realm's signing key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def offline_tool(name: str) -> str:
    """A validator `make tools` provides: unpacked from Debian's packages (promtool, amtool) or
    built from a pinned Go module (mustache)."""
    state = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
    path = Path(os.environ.get("MACH_TOOLS_DIR", state / "tools")) / "bin" / name
    assert path.exists(), f"{path} is missing: run `make tools`"
    return str(path)


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus 2.42's promtool."""
    return offline_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    """Alertmanager 0.25's amtool."""
    return offline_tool("amtool")


@pytest.fixture(scope="session")
def mustache() -> str:
    """The Logstash configuration parser and linter (tests/tools/mustache)."""
    return offline_tool("mustache")
