import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import TOPIC
from catalog.categories.schemas import CategoryIn, CategoryOut
from catalog.models import Category, outbox
from mach_service_kit import ProblemError


async def get(*, db_session: AsyncSession, category_id: uuid.UUID) -> Category:
    category = await db_session.get(Category, category_id)
    if category is None:
        raise ProblemError(404, f"no category {category_id}")
    return category


async def list_all(*, db_session: AsyncSession) -> list[Category]:
    return list((await db_session.scalars(sa.select(Category).order_by(Category.slug))).all())


async def create(*, db_session: AsyncSession, data: CategoryIn) -> Category:
    if await db_session.scalar(sa.select(Category.id).where(Category.slug == data.slug)):
        raise ProblemError(409, f"a category with slug {data.slug!r} exists")
    if data.parent_id and await db_session.get(Category, data.parent_id) is None:
        raise ProblemError(422, f"the parent category {data.parent_id} does not exist")
    category = Category(id=uuid.uuid4(), **data.model_dump())
    db_session.add(category)
    await db_session.flush()
    await outbox.record(
        db_session,
        topic=TOPIC,
        event_type="catalog.CategoryCreated",
        key=str(category.id),
        data=CategoryOut.model_validate(category).model_dump(mode="json"),
    )
    return category
