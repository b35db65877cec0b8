"""Load driver for the cart's main paths. Prints figures; asserts nothing.

The cart runs as its unit runs it (bench/loadkit.py) on a throwaway Redis as its ACL user,
calling a real catalog served the same way from the catalog's venv (.cache/services/catalog):

    .cache/services/cart/bin/python services/bench/cart_load.py --seconds 10

  create  POST /v1/carts                       a session cart (one Redis SET)
  put     PUT /v1/carts/{id}/lines/{product}  the catalog asked twice (product and price, in
                                               parallel), then a WATCH/MULTI change in Redis
  read    GET /v1/carts/{id}                   a session cart (PostgreSQL asked first, then Redis)
  mine    GET /v1/carts/{id} (with a token)    a customer's cart, from PostgreSQL
"""

import argparse
import asyncio
import random
from pathlib import Path

import httpx
from loadkit import options, phase, served

from mach_service_kit.testing import TokenIssuer, redis_server

CATALOG_BIN = Path(__file__).resolve().parents[2] / ".cache" / "services" / "catalog" / "bin"
rng = random.Random(7)  # noqa: S311  (which cart or product a request picks: repeatable)


async def seed_catalog(catalog: str, token: str, products: int) -> list[str]:
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=catalog, timeout=30) as client:
        r = await client.post("/v1/categories", json={"slug": "bench", "name": "B"}, headers=auth)
        category = r.json()["id"]
        ids = []
        for i in range(products):
            r = await client.post("/v1/products", headers=auth, json={
                "sku": f"BENCH-{i:05}", "name": f"Bench {i}", "category_id": category})  # fmt: skip
            ids.append(r.json()["id"])
            await client.put(f"/v1/prices/{ids[-1]}/EUR", json={"amount": "9.90"}, headers=auth)
        return ids


async def drive(cart: str, products: list[str], customer: str, args: argparse.Namespace) -> None:
    mine = {"Authorization": f"Bearer {customer}"}
    async with httpx.AsyncClient(base_url=cart, timeout=30) as client:
        sessions = [(await client.post("/v1/carts", json={"currency": "EUR"})).json()["id"]
                    for _ in range(200)]  # fmt: skip
        owned = [(await client.post("/v1/carts", json={"currency": "EUR"}, headers=mine))
                 .json()["id"] for _ in range(200)]  # fmt: skip
        for cart_id in owned[:50]:
            await client.put(f"/v1/carts/{cart_id}/lines/{products[0]}", json={"quantity": 1},
                             headers=mine)  # fmt: skip

    async def create(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.post("/v1/carts", json={"currency": "EUR"})

    async def put(c: httpx.AsyncClient, n: int) -> httpx.Response:
        cart_id, product = rng.choice(sessions), rng.choice(products)
        return await c.put(f"/v1/carts/{cart_id}/lines/{product}", json={"quantity": 1 + n % 5})

    async def read(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get(f"/v1/carts/{rng.choice(sessions)}")

    async def read_mine(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get(f"/v1/carts/{rng.choice(owned)}", headers=mine)

    print(f"cart: {len(products)} products in the catalog, {len(sessions)} session carts; "
          f"{args.concurrency} connections, {args.seconds:.0f} s per phase")  # fmt: skip
    for name, call in (("create", create), ("put", put), ("read", read), ("mine", read_mine)):
        await phase(cart, name, call, args.seconds, args.concurrency)


def run() -> None:
    args = options(__doc__, ("products", 200))
    with TokenIssuer() as issuer, redis_server() as redis:
        editor = issuer.token(roles=["catalog-editor"], lifetime=3600)
        with served("catalog", issuer, bin_dir=CATALOG_BIN) as catalog:
            products = asyncio.run(seed_catalog(catalog, editor, args.products))
            env = {"MACH_REDIS_URL": redis.create_user("cart"), "MACH_CATALOG_URL": catalog}
            with served("cart", issuer, env=env) as cart:
                customer = issuer.token(sub="bench-customer", lifetime=3600)
                asyncio.run(drive(cart, products, customer, args))


if __name__ == "__main__":
    run()
