"""The dependencies routes declare, named once (STYLE 14)."""

from mach_service_kit.auth import CallerDep
from mach_service_kit.db import SessionDep
from mach_service_kit.idempotency import IdempotencyKey

__all__ = ["CallerDep", "IdempotencyKey", "SessionDep"]
