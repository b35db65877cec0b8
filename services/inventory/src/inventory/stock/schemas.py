import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

LOCATION = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class StockIn(BaseModel):
    """A count: how many units are on hand at the location now."""

    model_config = ConfigDict(extra="forbid")
    on_hand: int = Field(ge=0, le=10_000_000, strict=True)


class StockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: uuid.UUID
    location: str
    on_hand: int
    reserved: int
    updated_at: datetime


class ProductStock(BaseModel):
    product_id: uuid.UUID
    locations: list[StockOut]
    on_hand: int
    reserved: int
    available: int
