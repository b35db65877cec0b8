"""The events the catalog writes to its outbox are exactly what contracts/events/catalog
promises, and the contracts are current."""

from pathlib import Path

import sqlalchemy as sa

from catalog.events import EVENTS
from catalog.models import outbox
from mach_service_kit.events import export
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events" / "catalog"


def test_the_event_contracts_are_exported_and_compatible():
    assert export(EVENTS, CONTRACTS, check=True) == []


async def test_every_event_written_matches_its_contract(client, app, editor, product):
    url = f"/v1/products/{product['id']}"
    await client.patch(url, json={"name": "Kabusecha"}, headers={**editor, "If-Match": '"1"'})
    await client.put(f"/v1/prices/{product['id']}/EUR", json={"amount": "3.20"}, headers=editor)
    await client.delete(url, headers={**editor, "If-Match": "*"})
    async with app.state.database.sessions() as s:
        envelopes = (await s.scalars(sa.select(outbox.table.c.envelope))).all()
    assert {e["type"] for e in envelopes} == set(EVENTS)
    for envelope in envelopes:
        assert envelope_problems(envelope, CONTRACTS) == [], envelope["type"]
