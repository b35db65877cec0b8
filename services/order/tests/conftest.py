"""The order's tests run on a real PostgreSQL server (the kit's pytest plugin); each test's
client runs in a transaction rolled back afterwards. The saga's messages are envelopes that
validate against the producers' exported contracts (consumer contracts)."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from order.main import create_app
from order.migrate import main as migrate
from order.settings import OrderSettings, get_settings

from mach_service_kit.pytest_plugin import service_fixtures
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events"
TEA, CUP = uuid.UUID(int=1), uuid.UUID(int=2)


database_url, settings, app_factory = service_fixtures(
    "order", migrate, get_settings.cache_clear, OrderSettings, create_app
)


def bearer(issuer, sub: str, roles=()) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(sub=sub, roles=list(roles))}"}


@pytest.fixture
def alice(issuer) -> dict[str, str]:
    return bearer(issuer, "alice")


def envelope(source: str, event_type: str, key: str, data: dict) -> dict:
    """A producer's event as its relay publishes it; checked against the producer's contract."""
    out = {"id": str(uuid.uuid4()), "type": event_type, "version": 1, "source": source,
           "time": datetime.now(UTC).isoformat(), "key": key, "data": data}  # fmt: skip
    assert envelope_problems(out, CONTRACTS / source) == [], event_type
    return out


@pytest.fixture
async def priced(client, app):
    """The catalog's prices as its events carry them: tea 4.50 and a cup 12.00 in EUR, tea
    5.00 in CHF."""
    from saga import handle, price_set

    await handle(app, price_set(TEA, "4.50"))
    await handle(app, price_set(CUP, "12.00"))
    await handle(app, price_set(TEA, "5.00", currency="CHF"))
