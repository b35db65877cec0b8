"""Shared helpers for the suite's tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
