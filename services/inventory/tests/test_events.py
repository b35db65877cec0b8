"""The events the inventory writes match contracts/events/inventory, which are current."""

import uuid
from pathlib import Path

import sqlalchemy as sa

from conftest import CUP, TEA, handle, order, order_event
from inventory.events import EVENTS
from inventory.models import outbox
from mach_service_kit.events import export
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events" / "inventory"


def test_the_event_contracts_are_exported_and_compatible():
    assert export(EVENTS, CONTRACTS, check=True) == []


async def test_every_event_written_matches_its_contract(client, app, editor, stocked):
    a = (await client.post("/v1/reservations", json=order((TEA, 1)), headers=editor)).json()
    b = (await client.post("/v1/reservations", json=order((TEA, 1)), headers=editor)).json()
    await client.post(f"/v1/reservations/{a['id']}/commit", headers=editor)
    await client.post(f"/v1/reservations/{b['id']}/release", headers=editor)
    # A short order placed (inventory-consumer): refused, nothing held.
    await handle(app, order_event("OrderPlaced", str(uuid.uuid4()), (CUP, 99)))
    async with app.state.database.sessions() as s:
        envelopes = (await s.scalars(sa.select(outbox.table.c.envelope))).all()
    assert {e["type"] for e in envelopes} == set(EVENTS)
    for envelope in envelopes:
        assert envelope_problems(envelope, CONTRACTS) == [], envelope["type"]
