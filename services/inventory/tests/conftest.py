"""The inventory's tests run on a real PostgreSQL server (the kit's pytest plugin); each
test's client runs in a transaction rolled back afterwards, except the race, which commits
on a database of its own."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inventory.consumer import HANDLERS
from inventory.main import create_app
from inventory.migrate import main as migrate
from inventory.settings import InventorySettings, get_settings
from mach_service_kit.pytest_plugin import service_fixtures
from mach_service_kit.testing import envelope_problems

TEA, CUP = uuid.UUID(int=1), uuid.UUID(int=2)
CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events"


database_url, settings, app_factory = service_fixtures(
    "inventory", migrate, get_settings.cache_clear, InventorySettings, create_app
)


@pytest.fixture
def editor(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(roles=['inventory-editor'])}"}


@pytest.fixture
async def stocked(client, editor):
    """Tea: 5 in berlin, 3 in paris; cups: 2 in berlin."""
    for product, location, on_hand in ((TEA, "berlin", 5), (TEA, "paris", 3), (CUP, "berlin", 2)):
        r = await client.put(f"/v1/stock/{product}/{location}", json={"on_hand": on_hand},
                             headers=editor)  # fmt: skip
        assert r.status_code == 201, r.text


def order(*items):
    return {"order_id": str(uuid.uuid4()),
            "items": [{"product_id": str(p), "quantity": q} for p, q in items]}  # fmt: skip


def order_event(kind: str, order_id: str, *lines) -> dict:
    now = datetime.now(UTC).isoformat()
    data = {
        "id": order_id, "customer": "alice", "status": "placed", "currency": "EUR",
        "total": "1.00", "reason": None, "version": 1, "created_at": now, "updated_at": now,
        "lines": [{"product_id": str(p), "quantity": q, "unit_price": "1.00", "amount": "1.00"}
                  for p, q in lines],
    }  # fmt: skip
    envelope = {"id": str(uuid.uuid4()), "type": f"order.{kind}", "version": 1,
                "source": "order", "time": now, "key": order_id, "data": data}  # fmt: skip
    assert envelope_problems(envelope, CONTRACTS / "order") == []
    return envelope


async def handle(app, envelope) -> None:
    async with app.state.database.sessions() as s, s.begin():
        await HANDLERS[(envelope["type"], 1)](s, envelope)
