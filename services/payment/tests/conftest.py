"""The payment's tests run on a real PostgreSQL server (the kit's pytest plugin); each test's
client runs in a transaction rolled back afterwards, except the races, which commit on a
database of their own."""

import uuid

import pytest
from payment.main import create_app
from payment.migrate import main as migrate
from payment.settings import PaymentSettings, get_settings

from mach_service_kit.pytest_plugin import service_fixtures

database_url, settings, app_factory = service_fixtures(
    "payment", migrate, get_settings.cache_clear, PaymentSettings, create_app, sandbox_limit=500
)


@pytest.fixture
def editor(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(roles=['payment-editor'])}"}


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    """The headers with an Idempotency-Key (a new one unless given)."""
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def payment(source: str = "sandbox:approve", amount: str = "25.00", **more):
    return {"order_id": str(uuid.uuid4()), "amount": amount, "currency": "EUR",
            "source": source, **more}  # fmt: skip
