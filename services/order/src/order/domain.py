"""The order aggregate: its state is the fold of its events; each decision checks the state
and returns the events it leads to (none when the order has moved past it: a late or
repeated message changes nothing).

    placed ──StockReserved──▶ awaiting_payment ──PaymentAuthorized──▶ confirmed
      ├──ReservationRefused──▶ rejected
      │                            │
      │                            ├─PaymentDeclined / ReservationReleased──▶ rejected
      └──────────────Cancelled─────┴──▶ cancelled
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from mach_service_kit import ProblemError

OPEN = ("placed", "awaiting_payment")


@dataclass
class Event:
    type: str
    data: dict[str, Any]


@dataclass
class Order:
    id: uuid.UUID
    version: int = 0
    status: str | None = None
    customer: str = ""
    currency: str = ""
    lines: list[dict[str, Any]] = field(default_factory=list)
    total: Decimal = Decimal(0)
    payment_source: str = ""
    reservation_id: str | None = None
    payment_id: str | None = None
    reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def apply(self, event: Event, at: datetime) -> None:
        d = event.data
        if event.type == "Placed":
            self.status, self.customer, self.currency = "placed", d["customer"], d["currency"]
            self.lines, self.total = d["lines"], Decimal(d["total"])
            self.payment_source, self.created_at = d["payment_source"], at
        elif event.type == "StockReserved":
            self.status, self.reservation_id = "awaiting_payment", d["reservation_id"]
        elif event.type == "PaymentAuthorized":
            self.status, self.payment_id = "confirmed", d["payment_id"]
        elif event.type == "Rejected":
            self.status, self.reason = "rejected", d["reason"]
        elif event.type == "Cancelled":
            self.status = "cancelled"
        else:
            raise ValueError(f"unknown order event {event.type}")
        self.version += 1
        self.updated_at = at


def place(
    order: Order, *, customer: str, currency: str, lines: list[dict[str, Any]],
    payment_source: str,
) -> list[Event]:  # fmt: skip
    assert order.status is None
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    return [Event("Placed", {
        "customer": customer, "currency": currency, "lines": lines, "total": str(total),
        "payment_source": payment_source,
    })]  # fmt: skip


def stock_reserved(order: Order, reservation_id: str) -> list[Event]:
    if order.status != "placed":
        return []
    return [Event("StockReserved", {"reservation_id": reservation_id})]


def reservation_refused(order: Order) -> list[Event]:
    """The inventory has not enough of something: nothing is held, nothing to pay."""
    if order.status != "placed":
        return []
    return [Event("Rejected", {"reason": "out_of_stock"})]


def reservation_released(order: Order, reservation_id: str) -> list[Event]:
    """The hold expired (or was released) before the payment came: the goods are gone."""
    if order.status != "awaiting_payment" or order.reservation_id != reservation_id:
        return []
    return [Event("Rejected", {"reason": "reservation_released"})]


def payment_authorized(order: Order, payment_id: str) -> list[Event]:
    if order.status != "awaiting_payment":
        return []
    return [Event("PaymentAuthorized", {"payment_id": payment_id})]


def payment_declined(order: Order, code: str | None) -> list[Event]:
    if order.status != "awaiting_payment":
        return []
    return [Event("Rejected", {"reason": f"payment_declined:{code or 'unknown'}"})]


def cancel(order: Order) -> list[Event]:
    if order.status == "cancelled":
        return []
    if order.status not in OPEN:
        raise ProblemError(409, f"the order is {order.status}; only an open order is cancelled")
    return [Event("Cancelled", {})]
