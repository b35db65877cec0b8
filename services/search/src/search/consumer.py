"""`search-consumer`: the catalog's product and price events and the inventory's stock counts
into the products' index (search.index), each event handled once per the kit's consumer
(its id recorded in the search database; the index's writes are idempotent and ordered by
themselves, so a redelivery after a crash between the two is harmless)."""

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit.consumer import Handler, serve
from search.index import ProductIndex
from search.models import processed
from search.settings import get_settings

TOPICS = ["catalog.events", "inventory.events"]


def handlers(index: ProductIndex) -> dict[tuple[str, int], Handler]:
    async def product(_: AsyncSession, envelope: dict[str, Any]) -> None:
        await index.product(envelope["data"])

    async def deleted(_: AsyncSession, envelope: dict[str, Any]) -> None:
        await index.product(envelope["data"], deleted=True)

    async def price(_: AsyncSession, envelope: dict[str, Any]) -> None:
        await index.price(envelope["data"])

    async def stock(_: AsyncSession, envelope: dict[str, Any]) -> None:
        await index.stock(envelope["data"])

    return {
        ("catalog.ProductCreated", 1): product,
        ("catalog.ProductUpdated", 1): product,
        ("catalog.ProductDeleted", 1): deleted,
        ("catalog.PriceSet", 1): price,
        ("inventory.StockCounted", 1): stock,
    }


async def run() -> dict[str, int]:
    settings = get_settings()
    index = ProductIndex(settings)
    try:
        await index.ensure()
        return await serve(settings, processed, handlers(index), TOPICS)
    finally:
        await index.close()


def main() -> None:
    asyncio.run(run())
