"""Load driver for the catalog's main read and write paths. Prints figures; asserts nothing.

The catalog runs as its unit runs it (uvicorn, one worker, production-like settings with a
JWKS) on a throwaway PostgreSQL 15 cluster; the driver is an asyncio httpx client with
`--concurrency` connections on the same machine (so both share its cores: the figures are a
floor, not the service's ceiling). Each phase runs `--seconds` after a short warm-up:

    .cache/services/catalog/bin/python services/bench/catalog_load.py --seconds 10

  read  GET /v1/products/{id}           one product by id (the browse path)
  list  GET /v1/products?limit=20       a page of products (keyset by SKU)
  write POST /v1/products               a new product and its outbox event, one transaction
  price PUT /v1/prices/{id}/EUR         a changed price and its outbox event
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from mach_service_kit.testing import TokenIssuer, free_port, postgres_server

Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
# Which product a request picks: repeatable, not secret.
rng = random.Random(7)  # noqa: S311


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def phase(base: str, name: str, call: Call, seconds: float, concurrency: int) -> None:
    latencies: list[float] = []
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(deadline: float, record: bool) -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                start = time.perf_counter()
                response = await call(client, counter)
                if record:
                    latencies.append(time.perf_counter() - start)
                    errors += response.status_code >= 400

        warm = time.perf_counter() + min(2.0, seconds / 5)
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    ms = [v * 1000 for v in latencies]
    print(
        f"{name:<6} {len(ms) / elapsed:8.0f} req/s  p50 {percentile(ms, 0.5):6.1f} ms  "
        f"p95 {percentile(ms, 0.95):6.1f} ms  p99 {percentile(ms, 0.99):6.1f} ms  "
        f"mean {statistics.fmean(ms):6.1f} ms  errors {errors}/{len(ms)}"
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    with postgres_server() as pg, TokenIssuer() as issuer:
        url = pg.create_database("catalog")
        port = free_port()
        env = {**os.environ, "MACH_ENVIRONMENT": "test", "MACH_DATABASE_URL": url,
               "MACH_JWT_JWKS_URL": issuer.jwks_url, "MACH_JWT_ISSUER": issuer.issuer,
               "MACH_LOG_LEVEL": "WARNING", "MACH_DATABASE_POOL_SIZE": "20"}  # fmt: skip
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "catalog-migrate"), "upgrade", "head"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        server = subprocess.Popen(
            [str(bin_dir / "uvicorn"), "--factory", "catalog.main:create_app", "--host",
             "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            asyncio.run(drive(base, issuer.token(roles=["catalog-editor"], lifetime=3600), args))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
