"""The events the payment service writes match contracts/events/payment, which are current,
and the relay publishes them to payment.events keyed by order."""

from pathlib import Path

import sqlalchemy as sa
from payment.events import EVENTS
from payment.models import outbox

from conftest import keyed, payment
from mach_service_kit.events import export
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events" / "payment"


def test_the_event_contracts_are_exported_and_compatible():
    assert export(EVENTS, CONTRACTS, check=True) == []


async def test_every_event_written_matches_its_contract(client, app, editor):
    a = (await client.post("/v1/payments", json=payment(), headers=keyed(editor))).json()
    b = (await client.post("/v1/payments", json=payment(), headers=keyed(editor))).json()
    await client.post("/v1/payments", json=payment("sandbox:decline"), headers=keyed(editor))
    await client.post(f"/v1/payments/{a['id']}/capture", headers=editor)
    await client.post(f"/v1/payments/{b['id']}/void", headers=editor)
    await client.post(f"/v1/payments/{a['id']}/refunds", json={"amount": "5.00"},
                      headers=keyed(editor))  # fmt: skip
    async with app.state.database.sessions() as s:
        envelopes = (await s.scalars(sa.select(outbox.table.c.envelope))).all()
    assert {e["type"] for e in envelopes} == set(EVENTS)
    for envelope in envelopes:
        assert envelope_problems(envelope, CONTRACTS) == [], envelope["type"]
    # Keyed by order: one order's events stay in order on one partition.
    assert {e["key"] for e in envelopes if e["data"].get("id") == a["id"]} == {a["order_id"]}
