"""Reading an ansible-playbook run's output, as the site test, the drills and the roles'
Molecule verifiers assert on it."""

from __future__ import annotations

import re

_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_RECAP = re.compile(r"^(\S+)\s+:\s+(ok=\d+.*)$", re.M)
_COUNT = re.compile(r"(\w+)=(\d+)")


def plain(output: str) -> str:
    """The output without terminal colours (Molecule's environment forces them on)."""
    return _COLOUR.sub("", output)


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP: every counter (ok, changed, unreachable, failed, skipped, ...) per host."""
    return {
        host: {key: int(value) for key, value in _COUNT.findall(counts)}
        for host, counts in _RECAP.findall(plain(output))
    }
