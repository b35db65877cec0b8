import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from cart.store import Cart

CURRENCY = r"^[A-Z]{3}$"


class CartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(pattern=CURRENCY, description="ISO 4217 code")


class QuantityIn(BaseModel):
    """How many of the product the cart holds (the settings' max_quantity at most)."""

    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(strict=True, ge=1, le=1000)


class LineOut(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    quantity: int
    unit_price: str
    line_total: str


class CartOut(BaseModel):
    id: uuid.UUID
    # A session cart is anyone's who holds its id until it is claimed; a customer's is theirs.
    session: bool
    currency: str
    lines: list[LineOut]
    item_count: int
    total: str
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, cart: Cart) -> "CartOut":
        lines = [
            LineOut(
                product_id=line.product_id, sku=line.sku, name=line.name,
                quantity=line.quantity, unit_price=str(line.unit_price),
                line_total=str(line.unit_price * line.quantity),
            )
            for line in cart.lines
        ]  # fmt: skip
        total = sum((line.unit_price * line.quantity for line in cart.lines), Decimal(0))
        return cls(
            id=cart.id, session=cart.owner is None, currency=cart.currency, lines=lines,
            item_count=sum(line.quantity for line in cart.lines), total=str(total),
            version=cart.version, created_at=cart.created_at, updated_at=cart.updated_at,
            expires_at=cart.expires_at,
        )  # fmt: skip
