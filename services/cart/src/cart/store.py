"""Where carts live. A session cart (no owner) is one JSON value in Redis, `cart:session:<id>`,
that expires `session_ttl_s` after its last change; a change is a WATCH/MULTI transaction,
so two changes at once never lose one. A customer's cart is a row in PostgreSQL, changed
under a row lock in the request's transaction. Both hold the same document (`Cart`)."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.asyncio.connection import SSLConnection, parse_url
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import WatchError

from cart.settings import CartSettings
from mach_service_kit import ProblemError

# Attempts of a session cart's change against other changes of the same cart.
CHANGE_ATTEMPTS = 5


class Line(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


class Cart(BaseModel):
    id: uuid.UUID
    owner: str | None = None  # None: a session cart
    currency: str
    lines: list[Line] = []
    version: int = 1
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None


def redis_client(settings: CartSettings) -> "Redis":
    url = settings.redis_url.get_secret_value()
    tls: dict[str, Any] = {"ssl_ca_certs": settings.redis_ca_file} if settings.redis_ca_file else {}
    if not settings.redis_sentinels:
        return Redis.from_url(url, decode_responses=True, **tls)
    options = parse_url(url)
    secure = {"ssl": True, **tls} if options.get("connection_class") is SSLConnection else {}
    password = settings.redis_sentinel_password
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        [(host, int(port)) for host, _, port in (s.rpartition(":") for s in
                                                 settings.redis_sentinels.split(","))],
        sentinel_kwargs={
            "username": settings.redis_sentinel_username,
            "password": password.get_secret_value() if password else None, **secure,
        },
        username=options.get("username"), password=options.get("password"),
        db=options.get("db", 0), decode_responses=True, **secure,
    )  # fmt: skip
    master: Redis = sentinel.master_for(settings.redis_master_name)
    return master


class SessionCarts:
    name = "redis"

    def __init__(self, settings: CartSettings) -> None:
        self.redis = redis_client(settings)
        self.ttl = settings.session_ttl_s

    @staticmethod
    def key(cart_id: uuid.UUID) -> str:
        return f"cart:session:{cart_id}"

    def expiry(self, cart: Cart) -> Cart:
        return cart.model_copy(update={"expires_at": cart.updated_at + timedelta(seconds=self.ttl)})

    async def get(self, cart_id: uuid.UUID) -> Cart | None:
        raw = await self.redis.get(self.key(cart_id))
        return None if raw is None else Cart.model_validate_json(raw)

    async def create(self, cart: Cart) -> Cart:
        cart = self.expiry(cart)
        await self.redis.set(self.key(cart.id), cart.model_dump_json(), ex=self.ttl, nx=True)
        return cart

    async def change(self, cart_id: uuid.UUID, change: Callable[[Cart], Cart]) -> Cart:
        """`change` applied to the cart as it is now (again when another change came first)."""
        key = self.key(cart_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(CHANGE_ATTEMPTS):
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise ProblemError(404, f"no cart {cart_id}")
                    changed = self.expiry(change(Cart.model_validate_json(raw)))
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, changed.model_dump_json(), ex=self.ttl)
                    await pipe.execute()
                    return changed
                except WatchError:
                    continue
        raise ProblemError(409, f"cart {cart_id} is changing too often at once; try again")

    async def delete(self, cart_id: uuid.UUID) -> bool:
        return bool(await self.redis.delete(self.key(cart_id)))

    async def ready(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()


def now() -> datetime:
    return datetime.now(UTC)
