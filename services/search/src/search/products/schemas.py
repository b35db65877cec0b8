import uuid

from pydantic import BaseModel


class Hit(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    description: str
    category_id: uuid.UUID
    # In the query's currency; null when the product has no price in it.
    price: str | None
    in_stock: bool
    attributes: dict[str, str]


class Bucket(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    category_id: list[Bucket]
    # attribute name → its values among the matches, most frequent first
    attributes: dict[str, list[Bucket]]


class SearchResult(BaseModel):
    total: int
    hits: list[Hit]
    facets: Facets
    # Pass as `after` for the next page; null on the last one.
    next: str | None
