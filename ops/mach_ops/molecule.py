"""Helpers of the roles' Molecule verifiers (testinfra, run by `molecule verify`): the
scenario's nodes, the passwords it generated, and playbooks run against its inventory. They
read Molecule's environment when called, so importing this module needs no scenario."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import testinfra


def ephemeral() -> Path:
    """The scenario's ephemeral directory (inventory, ansible.cfg, generated secrets, PKI)."""
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])


def project_root() -> Path:
    """The repository (the scenario's role is <root>/roles/<role>)."""
    return Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]).parent.parent


def node(name: str) -> Any:
    """A testinfra host of the scenario, reached like Ansible reaches it."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}")


def address(name: str) -> str:
    """The node's primary address, as the controller reaches it."""
    return str(node(name).check_output("hostname -I").split()[0])


def curl(name: str, *args: str) -> tuple[int, object]:
    """curl with `args` (options and URL) on scenario node `name`: the HTTP status (0 when no
    answer came) and the body, parsed as JSON (the text when it is not JSON, None when empty)."""
    return curl_on(node(name), *args)


def curl_on(host: Any, *args: str) -> tuple[int, object]:
    """curl as above on any testinfra host (the local fleet's too)."""
    out = host.run(shlex.join(["curl", "-sS", "-w", "\n%{http_code}", *args]))
    text, _, code = out.stdout.rpartition("\n")
    try:
        parsed: object = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        parsed = text
    return int(code or 0), parsed


def secret(name: str) -> str:
    """A password the scenario generated (an ansible.builtin.password file)."""
    return (ephemeral() / name).read_text().split()[0]


def playbook(path: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """ansible-playbook against the scenario's inventory and configuration, with the
    repository's roles and collection; never raises on a failed run (callers assert)."""
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ephemeral() / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(project_root() / "roles"),
        "ANSIBLE_COLLECTIONS_PATH": str(project_root() / "collections"),
    }
    command = Path(sys.executable).parent / "ansible-playbook"
    return subprocess.run(
        [str(command), "-i", str(ephemeral() / "inventory"), str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
