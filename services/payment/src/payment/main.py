"""The payment app: `uvicorn --factory payment.main:create_app`."""

from decimal import Decimal

from fastapi import FastAPI

from mach_service_kit import create_app as build
from payment import SERVICE
from payment.payments.router import router as payments
from payment.provider import Provider, SandboxProvider
from payment.settings import PaymentSettings, get_settings

VERSION = "1.0.0"


def provider(settings: PaymentSettings) -> Provider:
    """The provider the settings name (only the sandbox is built in)."""
    return SandboxProvider(limit=Decimal(settings.sandbox_limit))


def create_app(settings: PaymentSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = build(
        settings,
        version=VERSION,
        routers=[payments],
        description=f"{SERVICE}: payments through a provider interface, idempotency keys",
    )
    app.state.provider = provider(settings)
    return app
