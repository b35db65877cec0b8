"""The payment's half of the saga (payment-consumer's handlers): order events built to the
order service's exported contracts authorize, capture and void."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from payment.consumer import HANDLERS
from payment.models import Payment

from mach_service_kit.consumer import PermanentError
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events" / "order"


def order_event(kind: str, key: str, **data) -> dict:
    now = datetime.now(UTC).isoformat()
    if kind != "PaymentRequested":
        data = {"id": key, "customer": "alice", "status": "confirmed", "currency": "EUR",
                "total": "30.00", "lines": [], "reason": None, "version": 3,
                "created_at": now, "updated_at": now}  # fmt: skip
    envelope = {"id": str(uuid.uuid4()), "type": f"order.{kind}", "version": 1,
                "source": "order", "time": now, "key": key, "data": data}  # fmt: skip
    assert envelope_problems(envelope, CONTRACTS) == []
    return envelope


def requested(order_id: str, source: str = "sandbox:approve") -> dict:
    return order_event("PaymentRequested", order_id, order_id=order_id, amount="30.00",
                       currency="EUR", source=source)  # fmt: skip


async def handle(app, envelope) -> None:
    async with app.state.database.sessions() as s, s.begin():
        await HANDLERS[(envelope["type"], 1)](s, envelope)


async def payments(app, order_id) -> list[tuple[str, str]]:
    async with app.state.database.sessions() as s:
        rows = await s.execute(
            sa.select(Payment.status, Payment.captured_amount)
            .where(Payment.order_id == uuid.UUID(order_id))
            .order_by(Payment.created_at)
        )
        return [(status, str(captured)) for status, captured in rows.all()]


async def test_a_requested_payment_is_authorized_once_then_captured(client, app):
    order_id = str(uuid.uuid4())
    await handle(app, requested(order_id))
    await handle(app, requested(order_id))  # requested again: the live payment stands
    assert await payments(app, order_id) == [("authorized", "0.00")]
    await handle(app, order_event("OrderConfirmed", order_id))
    assert await payments(app, order_id) == [("captured", "30.00")]


@pytest.mark.parametrize("closing", ["OrderCancelled", "OrderRejected"])
async def test_a_closed_orders_authorization_is_voided(client, app, closing):
    order_id = str(uuid.uuid4())
    await handle(app, requested(order_id))
    await handle(app, order_event(closing, order_id))
    await handle(app, order_event(closing, order_id))
    assert await payments(app, order_id) == [("voided", "0.00")]


async def test_a_declined_payment_is_recorded_and_a_confirmation_without_one_refused(client, app):
    order_id = str(uuid.uuid4())
    await handle(app, requested(order_id, "sandbox:insufficient-funds"))
    assert await payments(app, order_id) == [("declined", "0.00")]
    await handle(app, order_event("OrderRejected", order_id))  # nothing to void
    with pytest.raises(PermanentError, match="without a payment"):
        await handle(app, order_event("OrderConfirmed", order_id))


async def test_an_unavailable_provider_fails_the_handler_for_a_retry(client, app):
    order_id = str(uuid.uuid4())
    with pytest.raises(Exception, match="did not answer"):
        await handle(app, requested(order_id, "sandbox:unavailable"))
    assert await payments(app, order_id) == []
