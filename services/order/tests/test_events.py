"""The events the order service publishes match contracts/events/order, which are current."""

from pathlib import Path

import saga
import sqlalchemy as sa
from order.events import EVENTS
from order.models import outbox
from saga import handle, place

from mach_service_kit.events import export
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events" / "order"


def test_the_event_contracts_are_exported_and_compatible():
    assert export(EVENTS, CONTRACTS, check=True) == []


async def test_every_event_published_matches_its_contract(client, app, alice, priced):
    confirmed = (await place(client, alice)).json()
    await handle(app, saga.reservation(confirmed))
    await handle(app, saga.payment({**confirmed, "status": "awaiting_payment"}))
    rejected = (await place(client, alice)).json()
    await handle(app, saga.reservation(rejected))
    await handle(app, saga.payment(rejected, "PaymentDeclined", "card_declined"))
    cancelled = (await place(client, alice)).json()
    await client.post(f"/v1/orders/{cancelled['id']}/cancel", headers=alice)
    async with app.state.database.sessions() as s:
        envelopes = (await s.scalars(sa.select(outbox.table.c.envelope))).all()
    assert {e["type"] for e in envelopes} == set(EVENTS)
    for envelope in envelopes:
        assert envelope_problems(envelope, CONTRACTS) == [], envelope["type"]
