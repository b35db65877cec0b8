import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import StringConstraints

from mach_service_kit import ProblemError
from search.index import ProductIndex, cursor
from search.index import Query as Search
from search.products.schemas import Bucket, Facets, Hit, SearchResult

router = APIRouter(prefix="/v1/search", tags=["search"])
FACET_HELP = "name:value of an attribute (repeatable)"
Facet = Annotated[str, StringConstraints(pattern=r"^[^:\x00]{1,64}:[^\x00]{1,200}$")]


def _hit(found: dict[str, Any], currency: str) -> Hit:
    source = found["_source"]
    price = (source.get("prices") or {}).get(currency)
    return Hit(
        product_id=found["_id"], sku=source["sku"], name=source["name"],
        description=source.get("description", ""), category_id=source["category_id"],
        price=None if price is None else f"{Decimal(str(price)):.2f}",
        in_stock=bool(source.get("in_stock", False)),
        attributes={f["name"]: f["value"] for f in source.get("facets") or []},
    )  # fmt: skip


def _buckets(aggregation: dict[str, Any]) -> list[Bucket]:
    return [Bucket(value=b["key"], count=b["doc_count"]) for b in aggregation.get("buckets", [])]


@router.get("", response_model=SearchResult)
async def search(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$",
                                   description="words in the name, description or SKU")] = None,
    category_id: uuid.UUID | None = None,
    facet: Annotated[list[Facet], Query(max_length=20, description=FACET_HELP)] = [],  # noqa: B006
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "EUR",
    min_price: Annotated[Decimal | None, Query(ge=0, le=10**9, decimal_places=2)] = None,
    max_price: Annotated[Decimal | None, Query(ge=0, le=10**9, decimal_places=2)] = None,
    in_stock: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=500)] = None,
) -> SearchResult:  # fmt: skip
    """Products matching the words and every filter, most relevant first, with the counts of
    categories and attribute values among all the matches (facets)."""
    index: ProductIndex = request.app.state.index
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ProblemError(422, "min_price is above max_price")
    pairs = tuple(tuple(f.split(":", 1)) for f in facet)
    answer = await index.search(Search(
        text=q or None, category_id=str(category_id) if category_id else None,
        facets=pairs, currency=currency, min_price=min_price,  # type: ignore[arg-type]
        max_price=max_price, in_stock=in_stock, limit=limit, after=after,
    ))  # fmt: skip
    found = answer["hits"]["hits"]
    aggregations = answer.get("aggregations", {})
    names = aggregations.get("facets", {}).get("names", {}).get("buckets", [])
    return SearchResult(
        total=answer["hits"]["total"]["value"],
        hits=[_hit(f, currency) for f in found],
        facets=Facets(
            category_id=_buckets(aggregations.get("categories", {})),
            attributes={n["key"]: _buckets(n["values"]) for n in names},
        ),
        next=cursor(found[-1]["sort"]) if len(found) == limit else None,
    )
