"""`order-consumer`: the saga's other half. The order reacts to the catalog's prices, the
inventory's reservations and the payment's outcomes (each handler runs in the transaction
that records the event as processed: redelivery changes nothing). An event about an order
this service never placed contradicts its state and goes to the dead-letter topic."""

import asyncio
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit.consumer import Handler, PermanentError, serve
from order import domain
from order.models import processed
from order.orders import service
from order.settings import get_settings

TOPICS = ["catalog.events", "inventory.events", "payment.events"]


async def _decide(db_session: AsyncSession, order_id: str, decide: Any, *args: Any) -> None:
    order = await service.load(db_session, uuid.UUID(order_id), lock=True)
    if order.status is None:
        raise PermanentError(f"no order {order_id}")
    events = decide(order, *args)
    if events:
        await service.append(db_session, order, events)


async def price_set(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    d = envelope["data"]
    product, at = uuid.UUID(d["product_id"]), datetime.fromisoformat(d["updated_at"])
    await service.set_price(db_session, product, d["currency"], Decimal(d["amount"]), at)


async def stock_reserved(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    d = envelope["data"]
    await _decide(db_session, d["order_id"], domain.stock_reserved, d["id"])


async def reservation_refused(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    await _decide(db_session, envelope["data"]["order_id"], domain.reservation_refused)


async def reservation_released(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    d = envelope["data"]
    await _decide(db_session, d["order_id"], domain.reservation_released, d["id"])


async def payment_authorized(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    d = envelope["data"]
    await _decide(db_session, d["order_id"], domain.payment_authorized, d["id"])


async def payment_declined(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    d = envelope["data"]
    await _decide(db_session, d["order_id"], domain.payment_declined, d["decline_code"])


HANDLERS: dict[tuple[str, int], Handler] = {
    ("catalog.PriceSet", 1): price_set,
    ("inventory.StockReserved", 1): stock_reserved,
    ("inventory.ReservationReleased", 1): reservation_released,
    ("inventory.ReservationRefused", 1): reservation_refused,
    ("payment.PaymentAuthorized", 1): payment_authorized,
    ("payment.PaymentDeclined", 1): payment_declined,
}


def main() -> None:
    asyncio.run(serve(get_settings(), processed, HANDLERS, TOPICS))
