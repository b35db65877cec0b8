"""Load driver for the catalog's main read and write paths. Prints figures; asserts nothing.

The catalog runs as its unit runs it (bench/loadkit.py: uvicorn, a throwaway PostgreSQL 15
cluster); the driver is an asyncio httpx client with `--concurrency` connections on the same
machine. Each phase runs `--seconds` after a short warm-up:

    .cache/services/catalog/bin/python services/bench/catalog_load.py --seconds 10

  read  GET /v1/products/{id}           one product by id (the browse path)
  list  GET /v1/products?limit=20       a page of products (keyset by SKU)
  write POST /v1/products               a new product and its outbox event, one transaction
  price PUT /v1/prices/{id}/EUR         a changed price and its outbox event
"""

import argparse
import os
import random

import httpx
from loadkit import main, phase

# Which product a request picks: repeatable, not secret.
rng = random.Random(7)  # noqa: S311


async def drive(base: str, token: str, args: argparse.Namespace) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        category = (
            await client.post("/v1/categories", json={"slug": "bench", "name": "B"}, headers=auth)
        ).json()["id"]
        ids = []
        for i in range(args.products):
            body = {"sku": f"SEED-{i:06}", "name": f"seed {i}", "category_id": category,
                    "attributes": {"n": i, "colour": rng.choice(["red", "green"])}}  # fmt: skip
            ids.append((await client.post("/v1/products", json=body, headers=auth)).json()["id"])
    run = os.getpid()

    async def read(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get(f"/v1/products/{rng.choice(ids)}")

    async def page(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get("/v1/products", params={"limit": 20, "after": f"SEED-{n % 900:06}"})

    async def write(c: httpx.AsyncClient, n: int) -> httpx.Response:
        body = {"sku": f"W{run}-{n:08}", "name": f"write {n}", "category_id": category}
        return await c.post("/v1/products", json=body, headers=auth)

    async def price(c: httpx.AsyncClient, n: int) -> httpx.Response:
        amount = {"amount": f"{n % 10000 / 100:.2f}"}
        return await c.put(f"/v1/prices/{rng.choice(ids)}/EUR", json=amount, headers=auth)

    print(f"catalog: {args.products} products seeded; {args.concurrency} connections, "
          f"{args.seconds:.0f} s per phase")  # fmt: skip
    for name, call in (("read", read), ("list", page), ("write", write), ("price", price)):
        await phase(base, name, call, args.seconds, args.concurrency)


if __name__ == "__main__":
    main("catalog", __doc__, drive, ("products", 1000))
