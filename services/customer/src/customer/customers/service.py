import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from customer.customers.schemas import ProfileIn
from customer.models import Address, Customer
from mach_service_kit import ProblemError
from mach_service_kit.etag import require_match


async def me(*, db_session: AsyncSession, claims: dict[str, Any]) -> Customer:
    """The caller's profile (404 until they create it)."""
    found = await db_session.scalar(sa.select(Customer).where(Customer.subject == claims["sub"]))
    if found is None:
        raise ProblemError(404, "you have no customer profile yet: PUT /v1/customers/me")
    return found


async def put_me(
    *, db_session: AsyncSession, claims: dict[str, Any], data: ProfileIn, if_match: str | None
) -> tuple[Customer, bool]:
    """Creates the caller's profile or replaces it (If-Match); True when created."""
    found = await db_session.scalar(
        sa.select(Customer).where(Customer.subject == claims["sub"]).with_for_update()
    )
    if found is None:
        customer = Customer(id=uuid.uuid4(), subject=claims["sub"], **data.model_dump())
        db_session.add(customer)
        await db_session.flush()
        return customer, True
    require_match(if_match, found.version)
    changes = {k: v for k, v in data.model_dump().items() if getattr(found, k) != v}
    for name, value in changes.items():
        setattr(found, name, value)
    if changes:
        await db_session.flush()
    return found, False


async def erase_me(
    *, db_session: AsyncSession, claims: dict[str, Any], if_match: str | None
) -> None:
    """The right to erasure: the profile and every address go."""
    customer = await me(db_session=db_session, claims=claims)
    require_match(if_match, customer.version)
    await db_session.execute(sa.delete(Address).where(Address.customer_id == customer.id))
    await db_session.delete(customer)
    await db_session.flush()


async def get(*, db_session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    found = await db_session.get(Customer, customer_id)
    if found is None:
        raise ProblemError(404, f"no customer {customer_id}")
    return found


async def find(*, db_session: AsyncSession, email: str) -> list[Customer]:
    query = sa.select(Customer).where(sa.func.lower(Customer.email) == email.lower())
    return list((await db_session.scalars(query.order_by(Customer.created_at))).all())
