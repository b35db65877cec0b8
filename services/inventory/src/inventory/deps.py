"""The dependencies routes declare, named once (STYLE 14)."""

from mach_service_kit.auth import WriterDep
from mach_service_kit.db import SessionDep

__all__ = ["SessionDep", "WriterDep"]
