"""Orders as event streams: load (fold the events), decide (domain), append (the next
sequence numbers; a concurrent append collides on the key), project the read model and write
the published event to the outbox, all in the caller's transaction."""

import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit import ProblemError
from mach_service_kit.db import utcnow
from order import TOPIC, domain
from order.models import OrderEvent, OrderView, Price, outbox
from order.orders.schemas import OrderIn, OrderOut, PaymentRequested

# What each stored event publishes on order.events.
PUBLISHED = {
    "Placed": "order.OrderPlaced",
    "StockReserved": "order.PaymentRequested",
    "PaymentAuthorized": "order.OrderConfirmed",
    "Rejected": "order.OrderRejected",
    "Cancelled": "order.OrderCancelled",
}


async def load(
    db_session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False
) -> domain.Order:
    """The order as its events leave it (status None: no such order). With `lock`, the
    read model's row is locked first, so decisions on one order run one at a time."""
    if lock:
        await db_session.execute(
            sa.select(OrderView.id).where(OrderView.id == order_id).with_for_update()
        )
    order = domain.Order(id=order_id)
    events = await db_session.execute(
        sa.select(OrderEvent.type, OrderEvent.data, OrderEvent.recorded_at)
        .where(OrderEvent.order_id == order_id)
        .order_by(OrderEvent.seq)
    )
    for kind, data, at in events:
        order.apply(domain.Event(kind, data), at)
    return order


def view(order: domain.Order) -> OrderOut:
    return OrderOut.model_validate({
        "id": order.id, "customer": order.customer, "status": order.status,
        "currency": order.currency, "total": order.total, "lines": order.lines,
        "reason": order.reason, "version": order.version, "created_at": order.created_at,
        "updated_at": order.updated_at,
    })  # fmt: skip


async def project(db_session: AsyncSession, order: domain.Order) -> OrderOut:
    """The read model's row for `order` (inserted or replaced)."""
    out = view(order)
    row = {**out.model_dump(), "lines": order.lines}  # the lines as stored: JSON already
    await db_session.execute(
        insert(OrderView).values(**row).on_conflict_do_update(index_elements=["id"], set_=row)
    )
    return out


async def append(
    db_session: AsyncSession, order: domain.Order, events: list[domain.Event]
) -> OrderOut:
    """Stores `events` after the order's last one, then projects and publishes."""
    at = utcnow()
    for event in events:
        db_session.add(OrderEvent(order_id=order.id, seq=order.version + 1, type=event.type,
                                  data=event.data, recorded_at=at))  # fmt: skip
        order.apply(event, at)
    await db_session.flush()
    out = await project(db_session, order)
    for event in events:
        data: dict[str, Any] = out.model_dump(mode="json")
        if event.type == "StockReserved":
            request = PaymentRequested(
                order_id=order.id,
                amount=order.total,
                currency=order.currency,
                source=order.payment_source,
            )
            data = request.model_dump(mode="json")
        await outbox.record(db_session, topic=TOPIC, event_type=PUBLISHED[event.type],
                            key=str(order.id), data=data)  # fmt: skip
    return out


async def place(*, db_session: AsyncSession, customer: str, data: OrderIn) -> OrderOut:
    """Prices every line from the catalog's price list (409 for a product without a price in
    the currency) and places the order."""
    products = [line.product_id for line in data.lines]
    query = sa.select(Price.product_id, Price.amount).where(
        Price.product_id.in_(products), Price.currency == data.currency
    )
    prices: dict[uuid.UUID, Decimal] = {p: a for p, a in (await db_session.execute(query)).all()}
    missing = [str(p) for p in products if p not in prices]
    if missing:
        raise ProblemError(
            409, f"no {data.currency} price for {len(missing)} product(s)", products=missing
        )
    lines = [
        {"product_id": str(line.product_id), "quantity": line.quantity,
         "unit_price": str(prices[line.product_id]),
         "amount": str(prices[line.product_id] * line.quantity)}
        for line in data.lines
    ]  # fmt: skip
    order = domain.Order(id=uuid.uuid4())
    events = domain.place(order, customer=customer, currency=data.currency, lines=lines,
                          payment_source=data.payment_source)  # fmt: skip
    return await append(db_session, order, events)


async def cancel(*, db_session: AsyncSession, order_id: uuid.UUID) -> OrderOut:
    order = await load(db_session, order_id, lock=True)
    events = domain.cancel(order)
    if not events:
        return view(order)
    return await append(db_session, order, events)


async def history(db_session: AsyncSession, order_id: uuid.UUID) -> list[OrderEvent]:
    rows = await db_session.scalars(
        sa.select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.seq)
    )
    return list(rows.all())


async def for_customer(db_session: AsyncSession, customer: str, limit: int) -> list[OrderView]:
    rows = await db_session.scalars(
        sa.select(OrderView)
        .where(OrderView.customer == customer)
        .order_by(OrderView.created_at.desc(), OrderView.id)
        .limit(limit)
    )
    return list(rows.all())


async def set_price(
    db_session: AsyncSession, product_id: uuid.UUID, currency: str, amount: Decimal, at: Any
) -> None:
    """The catalog's price, unless a newer one is already known (events may arrive late)."""
    stmt = insert(Price).values(product_id=product_id, currency=currency, amount=amount,
                                updated_at=at)  # fmt: skip
    await db_session.execute(
        stmt.on_conflict_do_update(
            index_elements=["product_id", "currency"],
            set_={"amount": stmt.excluded.amount, "updated_at": stmt.excluded.updated_at},
            where=Price.updated_at <= stmt.excluded.updated_at,
        )
    )
