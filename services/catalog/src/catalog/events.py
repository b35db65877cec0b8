"""What the catalog publishes on catalog.events: each event type's data model per version
(the contracts under contracts/events/catalog are generated from these)."""

import uuid

from pydantic import BaseModel

from catalog.categories.schemas import CategoryOut
from catalog.prices.schemas import PriceOut
from catalog.products.schemas import ProductOut
from mach_service_kit.events import Registry


class ProductDeleted(BaseModel):
    id: uuid.UUID
    sku: str
    version: int


EVENTS: Registry = {
    "catalog.CategoryCreated": {1: CategoryOut},
    "catalog.ProductCreated": {1: ProductOut},
    "catalog.ProductUpdated": {1: ProductOut},
    "catalog.ProductDeleted": {1: ProductDeleted},
    "catalog.PriceSet": {1: PriceOut},
}
