"""`payment-consumer`: the payment's half of the checkout saga, from order.events. A payment
requested for an order is authorized (once per order: a redelivered or repeated request finds
the live payment and changes nothing); a confirmed order's payment is captured; a cancelled
or rejected order's authorization is voided. A provider that does not answer makes the
handler fail, so the kit's consumer retries it, then dead-letters it."""

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit.consumer import Handler, PermanentError, serve
from payment.main import provider
from payment.models import LIVE, Payment, processed
from payment.payments import service
from payment.payments.schemas import PaymentIn
from payment.settings import get_settings


async def _live(db_session: AsyncSession, order_id: str) -> Payment | None:
    query = sa.select(Payment).where(
        Payment.order_id == uuid.UUID(order_id), Payment.status.in_(LIVE)
    )
    return await db_session.scalar(query)


async def payment_requested(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    d = envelope["data"]
    if await _live(db_session, d["order_id"]) is not None:
        return
    data = PaymentIn(order_id=d["order_id"], amount=Decimal(d["amount"]),
                     currency=d["currency"], source=d["source"])  # fmt: skip
    await service.create(db_session=db_session, provider=provider(get_settings()), data=data)


async def order_confirmed(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    found = await _live(db_session, envelope["data"]["id"])
    if found is None:
        raise PermanentError(f"order {envelope['data']['id']} was confirmed without a payment")
    await service.capture(db_session=db_session, provider=provider(get_settings()),
                          payment_id=found.id)  # fmt: skip


async def order_closed(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    """Cancelled or rejected: an authorization is released (nothing was taken)."""
    found = await _live(db_session, envelope["data"]["id"])
    if found is not None and found.status == "authorized":
        await service.void(db_session=db_session, provider=provider(get_settings()),
                           payment_id=found.id)  # fmt: skip


HANDLERS: dict[tuple[str, int], Handler] = {
    ("order.PaymentRequested", 1): payment_requested,
    ("order.OrderConfirmed", 1): order_confirmed,
    ("order.OrderCancelled", 1): order_closed,
    ("order.OrderRejected", 1): order_closed,
}


def main() -> None:
    asyncio.run(serve(get_settings(), processed, HANDLERS, ["order.events"]))
