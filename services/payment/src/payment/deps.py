"""The dependencies routes declare, named once (STYLE 14)."""

from typing import Annotated

from fastapi import Depends, Request

from mach_service_kit.auth import WriterDep
from mach_service_kit.db import SessionDep
from mach_service_kit.idempotency import IdempotencyKey
from payment.provider import Provider


def provider(request: Request) -> Provider:
    found: Provider = request.app.state.provider
    return found


ProviderDep = Annotated[Provider, Depends(provider)]

__all__ = ["IdempotencyKey", "ProviderDep", "SessionDep", "WriterDep"]
