"""Reservations: all of an order's items or none. Stock rows are locked in one fixed order
(product, location), so two reservations never deadlock, and each item takes from the
locations with the most available first. The database's check (reserved <= on_hand) holds the
invariant underneath."""

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inventory import TOPIC
from inventory.models import Reservation, ReservationLine, Stock, outbox
from inventory.reservations.schemas import Line, ReservationIn, ReservationOut, Shortage
from mach_service_kit import ProblemError


async def _lines(db_session: AsyncSession, reservation: Reservation) -> list[ReservationLine]:
    query = sa.select(ReservationLine).where(ReservationLine.reservation_id == reservation.id)
    order = (ReservationLine.product_id, ReservationLine.location)
    return list((await db_session.scalars(query.order_by(*order))).all())


async def view(db_session: AsyncSession, reservation: Reservation) -> ReservationOut:
    return ReservationOut(
        id=reservation.id, order_id=reservation.order_id,
        status=reservation.status,  # type: ignore[arg-type]
        lines=[Line.model_validate(x) for x in await _lines(db_session, reservation)],
        expires_at=reservation.expires_at, created_at=reservation.created_at,
    )  # fmt: skip


async def _event(db_session: AsyncSession, event_type: str, out: ReservationOut) -> None:
    await outbox.record(
        db_session, topic=TOPIC, event_type=event_type, key=str(out.order_id),
        data=out.model_dump(mode="json"),
    )  # fmt: skip


async def get(*, db_session: AsyncSession, reservation_id: uuid.UUID) -> Reservation:
    found = await db_session.get(Reservation, reservation_id)
    if found is None:
        raise ProblemError(404, f"no reservation {reservation_id}")
    return found


async def reserve(
    *, db_session: AsyncSession, data: ReservationIn, ttl: timedelta
) -> tuple[ReservationOut, bool]:
    """Holds stock for every item or raises 409 with the shortages; True when new. The same
    order reserved again gets its existing reservation (a retried request is harmless)."""
    existing = await db_session.scalar(
        sa.select(Reservation).where(Reservation.order_id == data.order_id)
    )
    if existing is not None:
        return await view(db_session, existing), False
    products = sorted({i.product_id for i in data.items})
    rows = (
        await db_session.scalars(
            sa.select(Stock)
            .where(Stock.product_id.in_(products))
            .order_by(Stock.product_id, Stock.location)
            .with_for_update()
        )
    ).all()
    by_product: dict[uuid.UUID, list[Stock]] = {}
    for row in rows:
        by_product.setdefault(row.product_id, []).append(row)
    shortages = []
    plan: list[tuple[Stock, int]] = []
    for item in data.items:
        stocks = sorted(by_product.get(item.product_id, []),
                        key=lambda s: (s.reserved - s.on_hand, s.location))  # fmt: skip
        available = sum(s.on_hand - s.reserved for s in stocks)
        if available < item.quantity:
            shortages.append(
                Shortage(product_id=item.product_id, requested=item.quantity, available=available)
            )
            continue
        wanted = item.quantity
        for stock in stocks:
            take = min(wanted, stock.on_hand - stock.reserved)
            if take > 0:
                plan.append((stock, take))
                wanted -= take
            if wanted == 0:
                break
    if shortages:
        raise ProblemError(
            409, "not enough stock for this order",
            shortages=[s.model_dump(mode="json") for s in shortages],
        )  # fmt: skip
    reservation = Reservation(
        id=uuid.uuid4(), order_id=data.order_id, status="held",
        expires_at=datetime.now(UTC) + ttl,
    )  # fmt: skip
    db_session.add(reservation)
    await db_session.flush()
    for stock, take in plan:
        stock.reserved += take
        db_session.add(ReservationLine(
            reservation_id=reservation.id, product_id=stock.product_id,
            location=stock.location, quantity=take,
        ))  # fmt: skip
    await db_session.flush()
    out = await view(db_session, reservation)
    await _event(db_session, "inventory.StockReserved", out)
    return out, True


async def _settle(db_session: AsyncSession, reservation_id: uuid.UUID, to: str) -> ReservationOut:
    """Commits (the goods leave: on hand and reserved go down) or releases (reserved goes
    down) a held reservation; settling it again the same way changes nothing."""
    reservation = await db_session.get(Reservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise ProblemError(404, f"no reservation {reservation_id}")
    if reservation.status == to:
        return await view(db_session, reservation)
    if reservation.status != "held":
        raise ProblemError(409, f"the reservation is {reservation.status}")
    lines = await _lines(db_session, reservation)
    keys = sorted((line.product_id, line.location) for line in lines)
    stocks = {
        (s.product_id, s.location): s
        for s in (await db_session.scalars(
            sa.select(Stock)
            .where(sa.tuple_(Stock.product_id, Stock.location).in_(keys))
            .order_by(Stock.product_id, Stock.location)
            .with_for_update()
        )).all()
    }  # fmt: skip
    for line in lines:
        stock = stocks[(line.product_id, line.location)]
        stock.reserved -= line.quantity
        if to == "committed":
            stock.on_hand -= line.quantity
    reservation.status = to
    await db_session.flush()
    out = await view(db_session, reservation)
    event = (
        "inventory.ReservationCommitted" if to == "committed" else "inventory.ReservationReleased"
    )
    await _event(db_session, event, out)
    return out


async def commit(*, db_session: AsyncSession, reservation_id: uuid.UUID) -> ReservationOut:
    return await _settle(db_session, reservation_id, "committed")


async def release(*, db_session: AsyncSession, reservation_id: uuid.UUID) -> ReservationOut:
    return await _settle(db_session, reservation_id, "released")


async def release_expired(*, db_session: AsyncSession) -> int:
    """Releases held reservations past their time (the sweep); returns how many."""
    expired = (await db_session.scalars(
        sa.select(Reservation.id)
        .where(Reservation.status == "held", Reservation.expires_at < sa.func.now())
        .order_by(Reservation.id)
    )).all()  # fmt: skip
    for reservation_id in expired:
        await _settle(db_session, reservation_id, "released")
    return len(expired)
