"""`order-rebuild`: rebuilds the read model (`orders`) from the event store, in one
transaction (readers see the old rows until it commits). For a new projection, or after a
projection bug is fixed."""

import sys

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit import housekeeping
from order.models import OrderEvent, OrderView
from order.orders import service
from order.settings import get_settings


async def rebuild(db_session: AsyncSession) -> int:
    """Replaces every read-model row with the fold of its order's events; returns how many."""
    await db_session.execute(sa.delete(OrderView))
    ids = (await db_session.scalars(sa.select(OrderEvent.order_id).distinct())).all()
    for order_id in ids:
        await service.project(db_session, await service.load(db_session, order_id))
    return len(ids)


def main() -> int:
    return housekeeping.main(get_settings(), {"orders_rebuilt": rebuild})


if __name__ == "__main__":
    sys.exit(main())
