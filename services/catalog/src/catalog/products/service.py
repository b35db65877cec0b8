import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from catalog import TOPIC
from catalog.events import ProductDeleted
from catalog.models import Category, Product, outbox
from catalog.products.schemas import ProductIn, ProductOut, ProductPatch
from mach_service_kit import ProblemError
from mach_service_kit.db import keyset_page
from mach_service_kit.etag import require_match


async def _event(db_session: AsyncSession, event_type: str, product: Product) -> None:
    await outbox.record(
        db_session,
        topic=TOPIC,
        event_type=event_type,
        key=str(product.id),
        data=ProductOut.model_validate(product).model_dump(mode="json"),
    )


async def _category_exists(db_session: AsyncSession, category_id: uuid.UUID) -> None:
    if await db_session.get(Category, category_id) is None:
        raise ProblemError(422, f"the category {category_id} does not exist")


async def get(*, db_session: AsyncSession, product_id: uuid.UUID) -> Product:
    product = await db_session.get(Product, product_id)
    if product is None:
        raise ProblemError(404, f"no product {product_id}")
    return product


async def page(
    *, db_session: AsyncSession, category_id: uuid.UUID | None, after: str | None, limit: int
) -> tuple[list[Product], str | None]:
    """Products in SKU order, `limit` at a time, from after the SKU `after`."""
    query = sa.select(Product)
    if category_id:
        query = query.where(Product.category_id == category_id)
    return await keyset_page(db_session, query, Product.sku, after, limit)


async def create(*, db_session: AsyncSession, data: ProductIn) -> Product:
    if await db_session.scalar(sa.select(Product.id).where(Product.sku == data.sku)):
        raise ProblemError(409, f"a product with SKU {data.sku!r} exists")
    await _category_exists(db_session, data.category_id)
    product = Product(id=uuid.uuid4(), **data.model_dump())
    db_session.add(product)
    await db_session.flush()
    await _event(db_session, "catalog.ProductCreated", product)
    return product


async def update(
    *, db_session: AsyncSession, product_id: uuid.UUID, patch: ProductPatch, if_match: str | None
) -> Product:
    product = await get(db_session=db_session, product_id=product_id)
    require_match(if_match, product.version)
    changes = patch.model_dump(exclude_unset=True)
    if "category_id" in changes:
        await _category_exists(db_session, changes["category_id"])
    for name, value in changes.items():
        setattr(product, name, value)
    try:
        await db_session.flush()  # the version column catches a writer that came in between
    except StaleDataError as exc:
        raise ProblemError(412, "the resource changed since it was read") from exc
    await db_session.refresh(product)
    await _event(db_session, "catalog.ProductUpdated", product)
    return product


async def delete(*, db_session: AsyncSession, product_id: uuid.UUID, if_match: str | None) -> None:
    product = await get(db_session=db_session, product_id=product_id)
    require_match(if_match, product.version)
    data = ProductDeleted(id=product.id, sku=product.sku, version=product.version)
    await db_session.delete(product)
    await db_session.flush()
    await outbox.record(
        db_session,
        topic=TOPIC,
        event_type="catalog.ProductDeleted",
        key=str(product_id),
        data=data.model_dump(mode="json"),
    )
