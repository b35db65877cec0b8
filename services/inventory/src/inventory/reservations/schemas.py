import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: uuid.UUID
    quantity: int = Field(ge=1, le=10_000, strict=True)


class ReservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: uuid.UUID
    items: list[Item] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_line_per_product(self) -> "ReservationIn":
        products = [i.product_id for i in self.items]
        if len(set(products)) != len(products):
            raise ValueError("one item per product")
        return self


class Line(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: uuid.UUID
    location: str
    quantity: int


class ReservationOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    status: Literal["held", "committed", "released"]
    lines: list[Line]
    expires_at: datetime
    created_at: datetime


class Shortage(BaseModel):
    product_id: uuid.UUID
    requested: int
    available: int


class ReservationRefused(BaseModel):
    """inventory.ReservationRefused: an order asked for more than there is (nothing held)."""

    order_id: uuid.UUID
    shortages: list[Shortage]
