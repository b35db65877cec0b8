"""What the mach.platform module_utils share, whichever server they talk to."""

from __future__ import annotations


def reason(exc: Exception) -> str:
    """An exception's text, cut to 200 characters, for a one-line error message."""
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"
