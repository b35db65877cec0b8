"""Options and attributes every mach.platform module that talks to a server shares."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each request.
    type: int
    default: 30
attributes:
  check_mode:
    description: Reads and predicts the change in check mode, writing nothing.
    support: full
  diff_mode:
    description: Returns what changed (or would change, in check mode) in diff mode.
    support: full
author:
  - MACH platform team
"""
