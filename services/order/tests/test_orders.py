"""Orders on a real PostgreSQL server: priced from the catalog's events, placed with an
Idempotency-Key, seen only by their customer (and support), taken through the saga by the
inventory's and payment's events (built to their exported contracts), cancelled, and rebuilt
from their events."""

import uuid

import pytest
import saga
import sqlalchemy as sa
from order.models import OrderView, outbox
from order.rebuild import rebuild
from saga import body, handle, place

from conftest import CUP, TEA, bearer
from mach_service_kit.consumer import PermanentError


async def published(app, order_id) -> list[dict]:
    async with app.state.database.sessions() as s:
        rows = await s.scalars(
            sa.select(outbox.table.c.envelope)
            .where(outbox.table.c.key == str(order_id))
            .order_by(outbox.table.c.id)
        )
        return list(rows.all())


async def test_an_order_is_priced_from_the_catalogs_events(client, app, alice, priced):
    r = await place(client, alice)
    assert r.status_code == 201, r.text
    order = r.json()
    assert r.headers["Location"] == f"/v1/orders/{order['id']}"
    assert (order["status"], order["customer"], order["total"], order["version"]) == (
        "placed", "alice", "21.00", 1,
    )  # fmt: skip
    assert [(x["unit_price"], x["amount"]) for x in order["lines"]] == [
        ("4.50", "9.00"), ("12.00", "12.00"),
    ]  # fmt: skip
    assert [e["type"] for e in await published(app, order["id"])] == ["order.OrderPlaced"]
    assert (await client.get(f"/v1/orders/{order['id']}", headers=alice)).json() == order


async def test_a_product_without_a_price_is_refused(client, alice, priced):
    ghost = uuid.uuid4()
    r = await place(client, alice, body((TEA, 1), (ghost, 1)))
    assert r.status_code == 409 and r.json()["products"] == [str(ghost)]
    r = await place(client, alice, body((CUP, 1), currency="CHF"))
    assert r.status_code == 409 and r.json()["products"] == [str(CUP)]


async def test_a_late_price_event_does_not_undo_a_newer_one(client, app, alice, priced):
    await handle(app, saga.price_set(TEA, "1.00", at="2020-01-01T00:00:00+00:00"))
    order = (await place(client, alice, body((TEA, 1)))).json()
    assert order["total"] == "4.50"


async def test_the_same_key_replays_and_another_body_is_refused(client, alice, priced):
    key = str(uuid.uuid4())
    first, second = await place(client, alice, key=key), await place(client, alice, key=key)
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert (await place(client, alice, body((TEA, 9)), key=key)).status_code == 422


async def test_orders_are_their_customers_and_supports(client, issuer, alice, priced):
    order = (await place(client, alice)).json()
    bob = bearer(issuer, "bob")
    support = bearer(issuer, "carol", roles=["order-editor"])
    for url in (f"/v1/orders/{order['id']}", f"/v1/orders/{order['id']}/history"):
        assert (await client.get(url, headers=bob)).status_code == 404
        assert (await client.get(url, headers=support)).status_code == 200
    assert (await client.post(f"/v1/orders/{order['id']}/cancel", headers=bob)).status_code == 404
    assert (await client.get("/v1/orders", headers=bob)).json() == {"items": []}
    mine = (await client.get("/v1/orders", headers=alice)).json()["items"]
    assert [o["id"] for o in mine] == [order["id"]]
    assert (await client.get("/v1/orders")).status_code == 401


async def test_the_saga_confirms_a_reserved_and_paid_order(client, app, alice, priced):
    order = (await place(client, alice)).json()
    await handle(app, saga.reservation(order))
    waiting = (await client.get(f"/v1/orders/{order['id']}", headers=alice)).json()
    assert waiting["status"] == "awaiting_payment"
    request = (await published(app, order["id"]))[-1]
    assert request["type"] == "order.PaymentRequested"
    assert request["data"] == {"order_id": order["id"], "amount": "21.00", "currency": "EUR",
                               "source": "sandbox:approve"}  # fmt: skip
    await handle(app, saga.payment(waiting))
    done = (await client.get(f"/v1/orders/{order['id']}", headers=alice)).json()
    assert (done["status"], done["version"]) == ("confirmed", 3)
    history = (await client.get(f"/v1/orders/{order['id']}/history", headers=alice)).json()
    assert [e["type"] for e in history["items"]] == ["Placed", "StockReserved",
                                                      "PaymentAuthorized"]  # fmt: skip
    assert "payment_source" not in history["items"][0]["data"]
    assert [e["type"] for e in await published(app, order["id"])] == [
        "order.OrderPlaced", "order.PaymentRequested", "order.OrderConfirmed",
    ]  # fmt: skip
    # A confirmed order is not cancelled (the goods are being shipped).
    r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=alice)
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (lambda o: saga.payment(o, "PaymentDeclined", "insufficient_funds"),
         "payment_declined:insufficient_funds"),
        (lambda o: saga.reservation(o, "ReservationReleased", o["reservation"]),
         "reservation_released"),
    ],
)  # fmt: skip
async def test_the_saga_rejects_a_declined_or_expired_order(
    client, app, alice, priced, message, reason
):
    order = (await place(client, alice)).json()
    held = saga.reservation(order)
    await handle(app, held)
    order = {**order, "reservation": held["data"]["id"]}
    await handle(app, message(order))
    out = (await client.get(f"/v1/orders/{order['id']}", headers=alice)).json()
    assert (out["status"], out["reason"]) == ("rejected", reason)
    assert (await published(app, order["id"]))[-1]["type"] == "order.OrderRejected"


async def test_an_order_short_of_stock_is_rejected(client, app, alice, priced):
    order = (await place(client, alice)).json()
    await handle(app, saga.refusal(order))
    await handle(app, saga.refusal(order))  # again, or after anything else: nothing more
    out = (await client.get(f"/v1/orders/{order['id']}", headers=alice)).json()
    assert (out["status"], out["reason"], out["version"]) == ("rejected", "out_of_stock", 2)


async def test_late_and_out_of_turn_messages_change_nothing(client, app, alice, priced):
    order = (await place(client, alice)).json()
    # A payment before the stock: nothing to confirm yet; a release of another hold: ignored.
    await handle(app, saga.payment(order))
    await handle(app, saga.reservation(order))
    await handle(app, saga.reservation(order, "ReservationReleased"))
    out = (await client.get(f"/v1/orders/{order['id']}", headers=alice)).json()
    assert (out["status"], out["version"]) == ("awaiting_payment", 2)
    cancelled = (await client.post(f"/v1/orders/{order['id']}/cancel", headers=alice)).json()
    assert cancelled["status"] == "cancelled"
    await handle(app, saga.payment(out))  # too late: the payment service voids on OrderCancelled
    again = await client.post(f"/v1/orders/{order['id']}/cancel", headers=alice)
    assert again.status_code == 200 and again.json() == cancelled
    types = [e["type"] for e in await published(app, order["id"])]
    assert types[-1] == "order.OrderCancelled" and types.count("order.OrderCancelled") == 1


async def test_an_event_about_an_unknown_order_is_a_permanent_error(app, client):
    stranger = {"id": str(uuid.uuid4()), "total": "1.00", "currency": "EUR", "lines": []}
    with pytest.raises(PermanentError, match="no order"):
        await handle(app, saga.payment(stranger))


async def test_the_read_model_is_rebuilt_from_the_events(client, app, alice, priced):
    a = (await place(client, alice)).json()
    await handle(app, saga.reservation(a))
    b = (await place(client, alice, body((CUP, 3)))).json()
    before = (await client.get("/v1/orders", headers=alice)).json()
    async with app.state.database.sessions() as s, s.begin():
        await s.execute(sa.update(OrderView).values(status="cancelled", total=0))
        assert await rebuild(s) >= 2
    after = (await client.get("/v1/orders", headers=alice)).json()
    assert after == before and {o["id"] for o in after["items"]} == {a["id"], b["id"]}


@pytest.mark.parametrize(
    "bad",
    [
        body(),
        body((TEA, 0)),
        body((TEA, 1), (TEA, 2)),
        body((TEA, 1), currency="eur"),
        body((TEA, 1), source="4111 1111 1111 1111"),
        {**body((TEA, 1)), "discount": "10%"},
        {**body(), "lines": [{"product_id": str(TEA), "quantity": "2"}]},
    ],
)
async def test_bad_orders_are_refused(client, alice, priced, bad):
    r = await place(client, alice, bad)
    assert r.status_code == 422, r.text
    assert (await client.get("/v1/orders", headers=alice)).json() == {"items": []}
