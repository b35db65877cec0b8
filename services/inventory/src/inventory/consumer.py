"""`inventory-consumer`: the inventory's half of the checkout saga, from order.events. A
placed order's items are reserved (all or none; a shortage is announced as
ReservationRefused, nothing held); a confirmed order's reservation is committed (the goods
leave); a cancelled or rejected order's is released. Each event is handled once, in the
transaction that records it (mach_service_kit.consumer)."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inventory import TOPIC
from inventory.models import Reservation, outbox, processed
from inventory.reservations import service
from inventory.reservations.schemas import Item, ReservationIn, ReservationRefused
from inventory.settings import get_settings
from mach_service_kit import ProblemError
from mach_service_kit.consumer import Handler, PermanentError, serve


async def order_placed(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    order = envelope["data"]
    wanted = ReservationIn(
        order_id=order["id"],
        items=[Item(product_id=x["product_id"], quantity=x["quantity"]) for x in order["lines"]],
    )
    ttl = timedelta(seconds=get_settings().reservation_ttl_seconds)
    try:
        await service.reserve(db_session=db_session, data=wanted, ttl=ttl)
    except ProblemError as refused:
        if refused.status != 409:
            raise
        event = ReservationRefused(order_id=wanted.order_id, shortages=refused.extra["shortages"])
        await outbox.record(
            db_session, topic=TOPIC, event_type="inventory.ReservationRefused",
            key=str(wanted.order_id), data=event.model_dump(mode="json"),
        )  # fmt: skip


async def _reservation(db_session: AsyncSession, order_id: str) -> uuid.UUID | None:
    query = sa.select(Reservation.id).where(Reservation.order_id == uuid.UUID(order_id))
    return await db_session.scalar(query)


async def order_confirmed(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    found = await _reservation(db_session, envelope["data"]["id"])
    if found is None:
        raise PermanentError(f"order {envelope['data']['id']} was confirmed with nothing held")
    try:
        await service.commit(db_session=db_session, reservation_id=found)
    except ProblemError as exc:  # released meanwhile: the goods are no longer held
        raise PermanentError(exc.detail) from exc


async def order_closed(db_session: AsyncSession, envelope: dict[str, Any]) -> None:
    """Cancelled or rejected: what was held returns (nothing, if nothing was)."""
    found = await _reservation(db_session, envelope["data"]["id"])
    if found is not None:
        reservation = await service.get(db_session=db_session, reservation_id=found)
        if reservation.status == "held":
            await service.release(db_session=db_session, reservation_id=found)


HANDLERS: dict[tuple[str, int], Handler] = {
    ("order.OrderPlaced", 1): order_placed,
    ("order.OrderConfirmed", 1): order_confirmed,
    ("order.OrderCancelled", 1): order_closed,
    ("order.OrderRejected", 1): order_closed,
}


def main() -> None:
    asyncio.run(serve(get_settings(), processed, HANDLERS, ["order.events"]))
