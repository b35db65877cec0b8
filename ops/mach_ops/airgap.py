"""Facts about the air gap that tests and tools read from this machine at run time."""

from __future__ import annotations

import re
from pathlib import Path


def controller_debian_mirror(etc_apt: Path = Path("/etc/apt")) -> str | None:
    """The first http(s) Debian source this machine is configured with, or None. Tests use it
    to prove a node cannot reach outside; the mirror is read here, never named in code."""
    candidates = sorted(etc_apt.glob("sources.list*")) + sorted(
        (etc_apt / "sources.list.d").glob("*")
    )
    for path in candidates:
        if path.is_file():
            found = re.search(r"https?://\S+", path.read_text())
            if found:
                return found.group(0)
    return None
