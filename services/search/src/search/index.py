"""The products' index in the search cluster: one document per product, written only by
`search-consumer` from events, read by `/v1/search`.

Every write is a scripted upsert that remembers where each part of the document came from
(the product's version, each price's and each location's time), so an event handled twice
changes nothing and an older event arriving after a newer one (a replay, another topic's
delay) never undoes it. A deleted product stays as a tombstone (`deleted`), so a late update
cannot bring it back; queries leave tombstones and documents with no product yet (a stock
count ahead of its product) out."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from opensearchpy import AsyncOpenSearch, ConnectionError, NotFoundError, TransportError

from mach_service_kit import ProblemError
from search.settings import SearchSettings

VERSION = 1  # of the mapping: a change creates <alias>-v<n+1> and moves the alias
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "dynamic_templates": [
        {"prices": {"path_match": "prices.*",
                    "mapping": {"type": "scaled_float", "scaling_factor": 100}}},
        {"stock": {"path_match": "stock.*", "mapping": {"type": "integer"}}},
    ],
    "properties": {
        "sku": {"type": "keyword"},
        "name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "description": {"type": "text"},
        "category_id": {"type": "keyword"},
        # The product's attributes as name/value pairs: one nested aggregation facets them all.
        "facets": {"type": "nested",
                   "properties": {"name": {"type": "keyword"}, "value": {"type": "keyword"}}},
        "prices": {"type": "object", "dynamic": True},
        "stock": {"type": "object", "dynamic": True},
        "in_stock": {"type": "boolean"},
        "deleted": {"type": "boolean"},
        "product_version": {"type": "long"},
        "price_at": {"type": "object", "enabled": False},
        "stock_at": {"type": "object", "enabled": False},
    },
}  # fmt: skip

PRODUCT = """
def s = ctx._source;
if (s.product_version != null && (s.product_version > params.version
    || (s.product_version == params.version && !params.deleted))) { ctx.op = 'none'; return; }
s.product_version = params.version;
s.deleted = params.deleted;
if (!params.deleted) {
  s.sku = params.sku; s.name = params.name; s.description = params.description;
  s.category_id = params.category_id; s.facets = params.facets;
}
"""
PRICE = """
def s = ctx._source;
if (s.prices == null) { s.prices = [:]; s.price_at = [:]; }
def at = s.price_at[params.currency];
if (at != null && at > params.at) { ctx.op = 'none'; return; }
s.price_at[params.currency] = params.at;
s.prices[params.currency] = params.amount;
"""
STOCK = """
def s = ctx._source;
if (s.stock == null) { s.stock = [:]; s.stock_at = [:]; }
def at = s.stock_at[params.location];
if (at != null && at > params.at) { ctx.op = 'none'; return; }
s.stock_at[params.location] = params.at;
s.stock[params.location] = params.available;
boolean any = false;
for (def v : s.stock.values()) { if (v > 0) { any = true; } }
s.in_stock = any;
"""


def millis(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).timestamp() * 1000)


def _facets(attributes: dict[str, Any]) -> list[dict[str, str]]:
    def text(value: Any) -> str:
        return json.dumps(value) if isinstance(value, bool) else str(value)

    return [{"name": k, "value": text(v)} for k, v in sorted(attributes.items())]


@dataclass(frozen=True)
class Query:
    text: str | None = None
    category_id: str | None = None
    facets: tuple[tuple[str, str], ...] = ()
    currency: str = "EUR"
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    limit: int = 20
    after: str | None = None


def cursor(sort: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort).encode()).decode()


def uncursor(value: str) -> list[Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, binascii.Error) as exc:
        raise ProblemError(422, "`after` is not a cursor this service gave") from exc
    if not (
        isinstance(decoded, list) and len(decoded) == 2
        and isinstance(decoded[0], int | float) and not isinstance(decoded[0], bool)
        and isinstance(decoded[1], str)
    ):  # fmt: skip
        raise ProblemError(422, "`after` is not a cursor this service gave")
    return decoded


def unavailable(exc: TransportError) -> ProblemError:
    """The cluster cannot answer now (unreachable, or its shards not allocated yet): a 503
    to retry, never a 500."""
    return ProblemError(503, f"the search cluster cannot answer now ({exc.error})",
                        headers={"Retry-After": "5"})  # fmt: skip


class ProductIndex:
    name = "search cluster"

    def __init__(self, settings: SearchSettings) -> None:
        hosts = [h.strip() for h in settings.opensearch_hosts.split(",")]
        password = settings.opensearch_password
        self.client = AsyncOpenSearch(
            hosts=hosts,
            http_auth=(settings.opensearch_username, password.get_secret_value())
            if settings.opensearch_username and password else None,
            use_ssl=hosts[0].startswith("https://"), verify_certs=True,
            ca_certs=settings.opensearch_ca_file, timeout=settings.opensearch_timeout_s,
        )  # fmt: skip
        self.alias = settings.index_alias
        self.shards, self.replicas = settings.index_shards, settings.index_replicas

    async def ensure(self) -> None:
        """The current version of the index behind the alias (created once; a no-op after)."""
        if await self.client.indices.exists_alias(name=self.alias):
            return
        body = {
            "settings": {"number_of_shards": self.shards, "number_of_replicas": self.replicas},
            "mappings": MAPPINGS,
            "aliases": {self.alias: {"is_write_index": True}},
        }
        await self.client.indices.create(index=f"{self.alias}-v{VERSION}", body=body)
        # Writes and searches wait for the new index's shards, not fail on them.
        # (The cluster's own wait: 30 s at most.)
        await self.client.cluster.health(index=self.alias, wait_for_status="yellow",
                                         request_timeout=45)  # fmt: skip

    async def _upsert(self, product_id: str, script: str, params: dict[str, Any]) -> None:
        body = {"scripted_upsert": True, "upsert": {},
                "script": {"lang": "painless", "source": script, "params": params}}  # fmt: skip
        await self.client.update(index=self.alias, id=product_id, body=body,
                                 retry_on_conflict=5)  # fmt: skip

    async def product(self, data: dict[str, Any], *, deleted: bool = False) -> None:
        params = {"version": data["version"], "deleted": deleted}
        if not deleted:
            params |= {"sku": data["sku"], "name": data["name"],
                       "description": data.get("description", ""),
                       "category_id": data["category_id"],
                       "facets": _facets(data.get("attributes") or {})}  # fmt: skip
        await self._upsert(data["id"], PRODUCT, params)

    async def price(self, data: dict[str, Any]) -> None:
        params = {"currency": data["currency"], "amount": data["amount"],
                  "at": millis(data["updated_at"])}  # fmt: skip
        await self._upsert(data["product_id"], PRICE, params)

    async def stock(self, data: dict[str, Any]) -> None:
        params = {"location": data["location"], "available": data["on_hand"] - data["reserved"],
                  "at": millis(data["updated_at"])}  # fmt: skip
        await self._upsert(data["product_id"], STOCK, params)

    async def refresh(self) -> None:
        await self.client.indices.refresh(index=self.alias)

    async def search(self, query: Query) -> dict[str, Any]:
        """The cluster's answer (hits by relevance, then SKU; the facet aggregations); an
        empty one before the index exists."""
        filters: list[dict[str, Any]] = [{"exists": {"field": "sku"}},
                                         {"term": {"deleted": False}}]  # fmt: skip
        if query.category_id:
            filters.append({"term": {"category_id": query.category_id}})
        if query.in_stock is not None:
            filters.append({"term": {"in_stock": query.in_stock}})
        bounds = {k: str(v) for k, v in (("gte", query.min_price), ("lte", query.max_price))
                  if v is not None}  # fmt: skip
        if bounds:
            filters.append({"range": {f"prices.{query.currency}": bounds}})
        for name, value in query.facets:
            pair = [{"term": {"facets.name": name}}, {"term": {"facets.value": value}}]
            filters.append({"nested": {"path": "facets", "query": {"bool": {"filter": pair}}}})
        must: dict[str, Any] = (
            {"multi_match": {"query": query.text, "fields": ["name^3", "description", "sku^5"]}}
            if query.text else {"match_all": {}}
        )  # fmt: skip
        body: dict[str, Any] = {
            "query": {"bool": {"must": [must], "filter": filters}},
            "sort": [{"_score": "desc"}, {"sku": "asc"}],
            "size": query.limit,
            "track_total_hits": True,
            "_source": ["sku", "name", "description", "category_id", "facets", "prices",
                        "in_stock"],
            "aggs": {
                "categories": {"terms": {"field": "category_id", "size": 20}},
                "facets": {"nested": {"path": "facets"}, "aggs": {"names": {
                    "terms": {"field": "facets.name", "size": 20},
                    "aggs": {"values": {"terms": {"field": "facets.value", "size": 20}}}}}},
            },
        }  # fmt: skip
        if query.after:
            body["search_after"] = uncursor(query.after)
        try:
            answer: dict[str, Any] = await self.client.search(index=self.alias, body=body)
        except NotFoundError:  # nothing indexed yet: the consumer creates the index
            return {"hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}
        except ConnectionError as exc:
            raise unavailable(exc) from exc
        except TransportError as exc:
            if exc.status_code in (429, 503):
                raise unavailable(exc) from exc
            raise
        return answer

    async def ready(self) -> None:
        if not await self.client.ping():
            raise ConnectionError("the search cluster does not answer")

    async def close(self) -> None:
        await self.client.close()
