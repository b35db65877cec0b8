import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from customer.addresses.schemas import AddressIn
from customer.models import Address, Customer
from mach_service_kit import ProblemError


async def of(*, db_session: AsyncSession, customer: Customer) -> list[Address]:
    query = sa.select(Address).where(Address.customer_id == customer.id)
    return list((await db_session.scalars(query.order_by(Address.created_at, Address.id))).all())


async def _clear_defaults(db_session: AsyncSession, customer: Customer, data: AddressIn) -> None:
    """A new default replaces the old one (the partial unique indexes hold the line)."""
    for flag in ("default_shipping", "default_billing"):
        if getattr(data, flag):
            await db_session.execute(
                sa.update(Address)
                .where(Address.customer_id == customer.id, getattr(Address, flag))
                .values({flag: False})
            )


async def add(
    *, db_session: AsyncSession, customer: Customer, data: AddressIn, limit: int
) -> Address:
    count = await db_session.scalar(
        sa.select(sa.func.count()).where(Address.customer_id == customer.id)
    )
    if (count or 0) >= limit:
        raise ProblemError(422, f"a customer keeps at most {limit} addresses")
    await _clear_defaults(db_session, customer, data)
    address = Address(id=uuid.uuid4(), customer_id=customer.id, **data.model_dump())
    db_session.add(address)
    await db_session.flush()
    return address


async def _mine(db_session: AsyncSession, customer: Customer, address_id: uuid.UUID) -> Address:
    address = await db_session.get(Address, address_id)
    if address is None or address.customer_id != customer.id:
        raise ProblemError(404, f"no address {address_id}")  # another's address does not exist
    return address


async def replace(
    *, db_session: AsyncSession, customer: Customer, address_id: uuid.UUID, data: AddressIn
) -> Address:
    address = await _mine(db_session, customer, address_id)
    await _clear_defaults(db_session, customer, data)
    for name, value in data.model_dump().items():
        setattr(address, name, value)
    await db_session.flush()
    return address


async def remove(*, db_session: AsyncSession, customer: Customer, address_id: uuid.UUID) -> None:
    address = await _mine(db_session, customer, address_id)
    await db_session.delete(address)
    await db_session.flush()
