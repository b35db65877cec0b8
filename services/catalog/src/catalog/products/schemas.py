import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mach_service_kit.types import Scalars, Text

SKU = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
# Facets for search: at most 50 short names mapped to scalars.
Attributes = Annotated[Scalars, Field(max_length=50)]


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU)
    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=5000)
    category_id: uuid.UUID
    attributes: Attributes = Field(default_factory=dict)


class ProductPatch(BaseModel):
    """A merge patch: the fields sent replace the stored ones; `attributes` is replaced whole."""

    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    category_id: uuid.UUID | None = None
    attributes: Attributes | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> "ProductPatch":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    sku: str
    name: str
    description: str
    category_id: uuid.UUID
    attributes: Attributes
    version: int
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    # Pass as `after` for the next page; null on the last page.
    next: str | None
