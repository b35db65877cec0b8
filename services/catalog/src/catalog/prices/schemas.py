import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

CURRENCY = r"^[A-Z]{3}$"  # ISO 4217


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class PriceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: uuid.UUID
    currency: str
    amount: Decimal
    updated_at: datetime


class PriceList(BaseModel):
    items: list[PriceOut]
