"""The cart's client of the catalog (services/catalog.yml: cart calls catalog): a product's
name and SKU and its price in the cart's currency, read when a line is put in the cart. The
interactions the cart relies on are its contract with the catalog (contracts/pacts/
cart-catalog.json), which the catalog's own suite verifies."""

import asyncio
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from opentelemetry.propagate import inject

from mach_service_kit import ProblemError

RETRY_AFTER_S = "5"


@dataclass(frozen=True)
class Offer:
    sku: str
    name: str
    unit_price: Decimal


class Catalog:
    name = "catalog"

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout_s, headers={"Accept": "application/json"}
        )

    async def offer(self, product_id: uuid.UUID, currency: str) -> Offer:
        """The product and its price in `currency`, or a 422 naming what the catalog lacks
        (a 503 when it cannot say)."""
        product, price = await asyncio.gather(
            self._get(f"/v1/products/{product_id}"),
            self._get(f"/v1/prices/{product_id}/{currency}"),
        )
        if product is None:
            raise ProblemError(422, f"the catalog has no product {product_id}")
        if price is None:
            raise ProblemError(422, f"the catalog has no {currency} price for {product_id}")
        return Offer(sku=product["sku"], name=product["name"], unit_price=Decimal(price["amount"]))

    async def _get(self, path: str) -> dict[str, Any] | None:
        headers: dict[str, str] = {}
        inject(headers)  # the trace goes on into the catalog
        try:
            response = await self.http.get(path, headers=headers)
        except httpx.HTTPError as exc:
            raise self._unavailable(f"the catalog does not answer ({type(exc).__name__})") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._unavailable(f"the catalog answered {response.status_code}")
        body: dict[str, Any] = response.json()
        return body

    @staticmethod
    def _unavailable(detail: str) -> ProblemError:
        return ProblemError(503, detail, headers={"Retry-After": RETRY_AFTER_S})

    async def ready(self) -> None:
        """The cart is ready whether or not the catalog is: carts are read and emptied
        without it (only putting a line in needs it)."""

    async def close(self) -> None:
        await self.http.aclose()
