"""Load driver for the payment service's main paths. Prints figures; asserts nothing.

The service runs as its unit runs it (bench/loadkit.py); each phase runs `--seconds` after a
short warm-up with `--concurrency` connections:

    .cache/services/payment/bin/python services/bench/payment_load.py --seconds 10

  pay     POST /v1/payments (a new Idempotency-Key)  claim the key, authorize, record the
                                                      payment, its event and the response
  replay  POST /v1/payments (a key already used)     the recorded response, nothing run
  read    GET /v1/payments/{id}
"""

import argparse
import os
import random
import uuid

import httpx
from loadkit import main, phase

rng = random.Random(7)  # noqa: S311  (which payment a read picks: repeatable, not secret)


def body() -> dict[str, str]:
    return {"order_id": str(uuid.uuid4()), "amount": "19.99", "currency": "EUR",
            "source": "sandbox:approve"}  # fmt: skip


async def drive(base: str, token: str, args: argparse.Namespace) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    seeded: list[tuple[str, dict[str, str], str]] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(args.payments):
            key, data = str(uuid.uuid4()), body()
            r = await client.post("/v1/payments", json=data,
                                  headers={**auth, "Idempotency-Key": key})  # fmt: skip
            seeded.append((key, data, r.json()["id"]))
    run = os.getpid()

    async def pay(c: httpx.AsyncClient, n: int) -> httpx.Response:
        key = f"bench-{run}-{n:09}"
        return await c.post("/v1/payments", json=body(), headers={**auth, "Idempotency-Key": key})

    async def replay(c: httpx.AsyncClient, n: int) -> httpx.Response:
        key, data, _ = rng.choice(seeded)
        return await c.post("/v1/payments", json=data, headers={**auth, "Idempotency-Key": key})

    async def read(c: httpx.AsyncClient, n: int) -> httpx.Response:
        return await c.get(f"/v1/payments/{rng.choice(seeded)[2]}", headers=auth)

    print(f"payment: {args.payments} payments seeded; {args.concurrency} connections, "
          f"{args.seconds:.0f} s per phase")  # fmt: skip
    for name, call in (("pay", pay), ("replay", replay), ("read", read)):
        await phase(base, name, call, args.seconds, args.concurrency)


if __name__ == "__main__":
    main("payment", __doc__, drive, ("payments", 500))
