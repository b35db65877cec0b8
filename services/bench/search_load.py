"""Load driver for the search service's query path. Prints figures; asserts nothing.

The service runs as its unit runs it (bench/loadkit.py) on a one-node OpenSearch from the
bundle (mach_service_kit.testing), its index filled through `search-consumer`'s own handlers
with `--products` products (attributes, EUR prices, stock in two locations):

    .cache/services/search/bin/python services/bench/search_load.py --seconds 10

  words   GET /v1/search?q=<word>                          full text, facet counts
  facets  GET /v1/search?q=<word>&facet=colour:<c>&...     nested facet filters, price range
  browse  GET /v1/search?category_id=<id>&in_stock=true    filters only, sorted by SKU
"""

import argparse
import asyncio
import random
import uuid
from datetime import UTC, datetime

import httpx
from loadkit import options, phase, served

from mach_service_kit.testing import TokenIssuer, opensearch_server
from search.consumer import handlers
from search.index import ProductIndex
from search.settings import SearchSettings

COLOURS = ["red", "blue", "green", "black", "white"]
WORDS = ["mug", "lamp", "shirt", "kettle", "chair", "table", "pen", "cup"]
rng = random.Random(7)  # noqa: S311  (which query a request sends: repeatable)


async def seed(url: str, products: int) -> list[str]:
    settings = SearchSettings(environment="test", database_url="postgresql+asyncpg://x@h/x",
                              opensearch_hosts=url, index_replicas=0)  # fmt: skip
    index = ProductIndex(settings)
    await index.ensure()
    table = handlers(index)
    categories = [str(uuid.uuid4()) for _ in range(10)]
    now = datetime.now(UTC).isoformat()

    async def one(i: int) -> None:
        pid = str(uuid.uuid4())
        data = {"id": pid, "sku": f"S-{i:06}", "name": f"{WORDS[i % len(WORDS)]} {i}",
                "description": f"a {COLOURS[i % 5]} {WORDS[(i + 3) % len(WORDS)]}",
                "category_id": categories[i % 10], "version": 1,
                "attributes": {"colour": COLOURS[i % 5], "size": "SML"[i % 3]}}  # fmt: skip
        await table[("catalog.ProductCreated", 1)](None, {"data": data})
        await table[("catalog.PriceSet", 1)](None, {"data": {
            "product_id": pid, "currency": "EUR", "amount": f"{1 + i % 100}.90",
            "updated_at": now}})  # fmt: skip
        for location in ("berlin", "paris"):
            await table[("inventory.StockCounted", 1)](None, {"data": {
                "product_id": pid, "location": location, "on_hand": i % 4, "reserved": 0,
                "updated_at": now}})  # fmt: skip

    for start in range(0, products, 50):
        await asyncio.gather(*(one(i) for i in range(start, min(products, start + 50))))
    await index.refresh()
    await index.close()
    return categories


async def drive(base: str, categories: list[str], args: argparse.Namespace) -> None:
    async def words(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get("/v1/search", params={"q": rng.choice(WORDS)})

    async def facets(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get("/v1/search", params={
            "q": rng.choice(WORDS), "facet": [f"colour:{rng.choice(COLOURS)}", "size:M"],
            "max_price": "60"})  # fmt: skip

    async def browse(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get("/v1/search", params={"category_id": rng.choice(categories),
                                                 "in_stock": "true"})  # fmt: skip

    print(f"search: {args.products} products indexed; {args.concurrency} connections, "
          f"{args.seconds:.0f} s per phase")  # fmt: skip
    for name, call in (("words", words), ("facets", facets), ("browse", browse)):
        await phase(base, name, call, args.seconds, args.concurrency)


def run() -> None:
    args = options(__doc__, ("products", 5000))
    with TokenIssuer() as issuer, opensearch_server() as cluster:
        categories = asyncio.run(seed(cluster.url, args.products))
        env = {"MACH_OPENSEARCH_HOSTS": cluster.url}
        with served("search", issuer, env=env) as base:
            asyncio.run(drive(base, categories, args))


if __name__ == "__main__":
    run()
