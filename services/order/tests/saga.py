"""The producers' events the order reacts to, built as their services write them."""

import uuid
from datetime import UTC, datetime, timedelta

from order import consumer

from conftest import CUP, TEA, envelope


def now() -> str:
    return datetime.now(UTC).isoformat()


def price_set(product: uuid.UUID, amount: str, currency: str = "EUR", at: str | None = None):
    data = {"product_id": str(product), "currency": currency, "amount": amount,
            "updated_at": at or now()}  # fmt: skip
    return envelope("catalog", "catalog.PriceSet", str(product), data)


def reservation(order: dict, kind: str = "StockReserved", reservation_id: str | None = None):
    status = {"StockReserved": "held", "ReservationReleased": "released"}[kind]
    data = {
        "id": reservation_id or str(uuid.uuid4()), "order_id": order["id"], "status": status,
        "lines": [{"product_id": line["product_id"], "location": "berlin",
                   "quantity": line["quantity"]} for line in order["lines"]],
        "expires_at": (datetime.now(UTC) + timedelta(minutes=15)).isoformat(),
        "created_at": now(),
    }  # fmt: skip
    return envelope("inventory", f"inventory.{kind}", order["id"], data)


def refusal(order: dict):
    data = {"order_id": order["id"], "shortages": [
        {"product_id": line["product_id"], "requested": line["quantity"], "available": 0}
        for line in order["lines"]]}  # fmt: skip
    return envelope("inventory", "inventory.ReservationRefused", order["id"], data)


def payment(order: dict, kind: str = "PaymentAuthorized", code: str | None = None):
    status = {"PaymentAuthorized": "authorized", "PaymentDeclined": "declined"}[kind]
    data = {
        "id": str(uuid.uuid4()), "order_id": order["id"], "amount": order["total"],
        "currency": order["currency"], "status": status, "decline_code": code,
        "provider": "sandbox", "captured_amount": "0.00", "refunded_amount": "0.00",
        "created_at": now(), "updated_at": now(),
    }  # fmt: skip
    return envelope("payment", f"payment.{kind}", order["id"], data)


async def handle(app, envelope) -> None:
    """What `order-consumer` does with one event (the kit's Consumer adds the processed-id
    bookkeeping, tested in the kit)."""
    handler = consumer.HANDLERS[(envelope["type"], envelope["version"])]
    async with app.state.database.sessions() as s, s.begin():
        await handler(s, envelope)


def body(*lines, currency="EUR", source="sandbox:approve"):
    return {"currency": currency, "payment_source": source,
            "lines": [{"product_id": str(p), "quantity": q} for p, q in lines]}  # fmt: skip


async def place(client, headers, data=None, key=None):
    headers = {**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return await client.post("/v1/orders", json=data or body((TEA, 2), (CUP, 1)), headers=headers)
