import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import TOPIC
from catalog.models import Price, Product, outbox
from catalog.prices.schemas import PriceIn, PriceOut
from mach_service_kit import ProblemError


async def for_product(*, db_session: AsyncSession, product_id: uuid.UUID) -> list[Price]:
    query = sa.select(Price).where(Price.product_id == product_id).order_by(Price.currency)
    return list((await db_session.scalars(query)).all())


async def get(*, db_session: AsyncSession, product_id: uuid.UUID, currency: str) -> Price:
    price = await db_session.get(Price, (product_id, currency))
    if price is None:
        raise ProblemError(404, f"product {product_id} has no price in {currency}")
    return price


async def put(
    *, db_session: AsyncSession, product_id: uuid.UUID, currency: str, data: PriceIn
) -> tuple[Price, bool]:
    """Sets the product's price in `currency`; True when it was created. An unchanged amount
    writes nothing and publishes nothing (PUT is idempotent)."""
    # The product row is locked so that a concurrent delete cannot orphan the price.
    product = await db_session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise ProblemError(404, f"no product {product_id}")
    price = await db_session.get(Price, (product_id, currency))
    created = price is None
    if price is not None and price.amount == data.amount:
        return price, False
    if price is None:
        price = Price(product_id=product_id, currency=currency, amount=data.amount)
        db_session.add(price)
    else:
        price.amount = data.amount
    await db_session.flush()
    await db_session.refresh(price)
    await outbox.record(
        db_session,
        topic=TOPIC,
        event_type="catalog.PriceSet",
        key=str(product_id),
        data=PriceOut.model_validate(price).model_dump(mode="json"),
    )
    return price, created
