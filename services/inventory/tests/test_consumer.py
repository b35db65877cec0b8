"""The inventory's half of the saga (inventory-consumer's handlers): order events built to
the order service's exported contracts reserve, refuse, commit and release."""

import uuid

import pytest
import sqlalchemy as sa

from conftest import CONTRACTS, CUP, TEA, handle, order_event
from inventory.models import outbox
from mach_service_kit.consumer import PermanentError
from mach_service_kit.testing import envelope_problems


async def reservation_of(client, app, order_id):
    async with app.state.database.sessions() as s:
        rows = await s.scalars(sa.select(outbox.table.c.envelope)
                               .where(outbox.table.c.key == order_id)
                               .order_by(outbox.table.c.id))  # fmt: skip
        return [e["type"] for e in rows.all()]


async def test_a_placed_order_is_reserved_then_committed(client, app, stocked):
    order_id = str(uuid.uuid4())
    await handle(app, order_event("OrderPlaced", order_id, (TEA, 6), (CUP, 1)))
    await handle(app, order_event("OrderPlaced", order_id, (TEA, 6), (CUP, 1)))  # redelivered
    tea = (await client.get(f"/v1/stock/{TEA}")).json()
    assert (tea["reserved"], tea["on_hand"]) == (6, 8)
    await handle(app, order_event("OrderConfirmed", order_id))
    tea = (await client.get(f"/v1/stock/{TEA}")).json()
    assert (tea["reserved"], tea["on_hand"]) == (0, 2)
    assert await reservation_of(client, app, order_id) == [
        "inventory.StockReserved", "inventory.ReservationCommitted",
    ]  # fmt: skip


@pytest.mark.parametrize("closing", ["OrderCancelled", "OrderRejected"])
async def test_a_closed_order_releases_its_hold(client, app, stocked, closing):
    order_id = str(uuid.uuid4())
    await handle(app, order_event("OrderPlaced", order_id, (CUP, 2)))
    assert (await client.get(f"/v1/stock/{CUP}")).json()["available"] == 0
    await handle(app, order_event(closing, order_id))
    await handle(app, order_event(closing, order_id))  # again: nothing more to release
    assert (await client.get(f"/v1/stock/{CUP}")).json()["available"] == 2


async def test_a_short_order_is_refused_and_holds_nothing(client, app, stocked):
    order_id = str(uuid.uuid4())
    await handle(app, order_event("OrderPlaced", order_id, (TEA, 1), (CUP, 3)))
    assert (await client.get(f"/v1/stock/{TEA}")).json()["reserved"] == 0
    async with app.state.database.sessions() as s:
        (refusal,) = (await s.scalars(
            sa.select(outbox.table.c.envelope).where(outbox.table.c.key == order_id)
        )).all()  # fmt: skip
    assert refusal["type"] == "inventory.ReservationRefused"
    assert refusal["data"]["shortages"] == [
        {"product_id": str(CUP), "requested": 3, "available": 2}
    ]
    assert envelope_problems(refusal, CONTRACTS / "inventory") == []
    # Its rejection then has nothing to release; a confirmation of it contradicts the state.
    await handle(app, order_event("OrderRejected", order_id))
    with pytest.raises(PermanentError, match="nothing held"):
        await handle(app, order_event("OrderConfirmed", order_id))


async def test_a_confirmation_after_the_hold_expired_is_a_permanent_error(client, app, stocked):
    order_id = str(uuid.uuid4())
    await handle(app, order_event("OrderPlaced", order_id, (CUP, 1)))
    await handle(app, order_event("OrderCancelled", order_id))
    with pytest.raises(PermanentError, match="released"):
        await handle(app, order_event("OrderConfirmed", order_id))
