import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inventory import TOPIC
from inventory.models import Stock, outbox
from inventory.stock.schemas import ProductStock, StockIn, StockOut
from mach_service_kit import ProblemError


async def of_product(*, db_session: AsyncSession, product_id: uuid.UUID) -> ProductStock:
    query = sa.select(Stock).where(Stock.product_id == product_id).order_by(Stock.location)
    rows = list((await db_session.scalars(query)).all())
    on_hand, reserved = sum(r.on_hand for r in rows), sum(r.reserved for r in rows)
    return ProductStock(
        product_id=product_id, locations=[StockOut.model_validate(r) for r in rows],
        on_hand=on_hand, reserved=reserved, available=on_hand - reserved,
    )  # fmt: skip


async def count(
    *, db_session: AsyncSession, product_id: uuid.UUID, location: str, data: StockIn
) -> tuple[Stock, bool]:
    """Sets the units on hand at a location (a stock count); True when the row is new. A count
    below what is reserved there is refused: those units are promised."""
    stock = await db_session.get(Stock, (product_id, location), with_for_update=True)
    created = stock is None
    if stock is None:
        stock = Stock(product_id=product_id, location=location, on_hand=data.on_hand, reserved=0)
        db_session.add(stock)
    elif stock.on_hand == data.on_hand:
        return stock, False
    elif data.on_hand < stock.reserved:
        raise ProblemError(
            409, f"{stock.reserved} units at {location} are reserved; count at least that many"
        )
    else:
        stock.on_hand = data.on_hand
    await db_session.flush()
    await outbox.record(
        db_session, topic=TOPIC, event_type="inventory.StockCounted", key=str(product_id),
        data=StockOut.model_validate(stock).model_dump(mode="json"),
    )  # fmt: skip
    return stock, created
