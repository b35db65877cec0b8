import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from mach_service_kit.types import Bool, Text

CURRENCY = r"^[A-Z]{3}$"  # ISO 4217
Amount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Status = Literal["authorized", "declined", "captured", "partially_refunded", "refunded", "voided"]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: uuid.UUID
    amount: Amount
    currency: str = Field(pattern=CURRENCY)
    # The provider's token for the means of payment (never a card number): "sandbox:approve".
    source: str = Field(pattern=r"^[a-z][a-z0-9]*:[A-Za-z0-9_-]{1,64}$")
    # Capture at once instead of authorizing now and capturing when the goods ship.
    capture: Bool = False


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    currency: str
    status: Status
    # Why the provider declined (status "declined"): card_declined, insufficient_funds, ...
    decline_code: str | None
    provider: str
    captured_amount: Decimal
    refunded_amount: Decimal
    created_at: datetime
    updated_at: datetime


class PaymentList(BaseModel):
    items: list[PaymentOut]


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    reason: Text | None = Field(default=None, max_length=200)


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    payment_id: uuid.UUID
    amount: Decimal
    reason: str | None
    created_at: datetime


class RefundList(BaseModel):
    items: list[RefundOut]


class PaymentRefunded(BaseModel):
    """payment.PaymentRefunded: the payment after the refund, and the refund."""

    payment: PaymentOut
    refund: RefundOut
