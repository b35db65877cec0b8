import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["placed", "awaiting_payment", "confirmed", "rejected", "cancelled"]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: uuid.UUID
    quantity: int = Field(ge=1, le=1000, strict=True)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    # The payment provider's token for the means of payment (payment service's `source`).
    payment_source: str = Field(pattern=r"^[a-z][a-z0-9]*:[A-Za-z0-9_-]{1,64}$")

    @model_validator(mode="after")
    def _one_line_per_product(self) -> "OrderIn":
        products = [line.product_id for line in self.lines]
        if len(set(products)) != len(products):
            raise ValueError("one line per product")
        return self


class Line(BaseModel):
    product_id: uuid.UUID
    quantity: int
    unit_price: Decimal
    amount: Decimal


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    customer: str
    status: Status
    currency: str
    total: Decimal
    lines: list[Line]
    # Why it was rejected: out_of_stock, payment_declined:<code>, reservation_released.
    reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class OrderList(BaseModel):
    items: list[OrderOut]


class HistoryEntry(BaseModel):
    seq: int
    type: str
    data: dict[str, Any]
    recorded_at: datetime


class History(BaseModel):
    items: list[HistoryEntry]


class PaymentRequested(BaseModel):
    """order.PaymentRequested: the payment service authorizes this for the order."""

    order_id: uuid.UUID
    amount: Decimal
    currency: str
    source: str
