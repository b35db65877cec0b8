"""Payments on a real PostgreSQL server: the sandbox's outcomes, idempotency keys, the
lifecycle (capture, void, refunds), one live payment per order, bad input, and the races."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from payment.housekeeping import main as housekeeping
from payment.main import create_app
from payment.migrate import main as migrate
from payment.models import Payment, idempotency
from payment.settings import PaymentSettings, get_settings

from conftest import keyed, payment
from mach_service_kit.idempotency import Idempotency
from mach_service_kit.pytest_plugin import migrated_database, run_command


async def pay(client, headers, body=None, key=None):
    return await client.post("/v1/payments", json=body or payment(), headers=keyed(headers, key))


async def test_an_approved_payment_is_authorized(client, editor):
    body = payment(amount="25.50")
    r = await pay(client, editor, body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert r.headers["Location"] == f"/v1/payments/{out['id']}"
    assert (out["status"], out["amount"], out["currency"], out["provider"]) == (
        "authorized", "25.50", "EUR", "sandbox",
    )  # fmt: skip
    assert (out["captured_amount"], out["refunded_amount"], out["decline_code"]) == (
        "0.00", "0.00", None,
    )  # fmt: skip
    assert (await client.get(r.headers["Location"], headers=editor)).json() == out


async def test_capture_at_once(client, editor):
    out = (await pay(client, editor, payment(capture=True))).json()
    assert (out["status"], out["captured_amount"]) == ("captured", "25.00")


@pytest.mark.parametrize(
    ("source", "amount", "code"),
    [
        ("sandbox:decline", "25.00", "card_declined"),
        ("sandbox:insufficient-funds", "25.00", "insufficient_funds"),
        ("sandbox:approve", "500.01", "limit_exceeded"),
        ("acme:tok_123", "25.00", "unknown_source"),
    ],
)
async def test_the_sandbox_declines_deterministically(client, editor, source, amount, code):
    r = await pay(client, editor, payment(source, amount))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["decline_code"]) == ("declined", code)


async def test_an_unavailable_provider_records_nothing(client, editor):
    body, key = payment("sandbox:unavailable"), str(uuid.uuid4())
    r = await pay(client, editor, body, key)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.headers["content-type"] == "application/problem+json"
    listed = await client.get("/v1/payments", params={"order_id": body["order_id"]}, headers=editor)
    assert listed.json() == {"items": []}
    # The key was not kept: the retry (the provider back) runs.
    again = await pay(client, editor, {**body, "source": "sandbox:approve"}, key)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers


async def test_a_retry_with_the_same_key_replays_the_first_response(client, app, editor):
    body, key = payment(), str(uuid.uuid4())
    first = await pay(client, editor, body, key)
    second = await pay(client, editor, body, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    listed = await client.get("/v1/payments", params={"order_id": body["order_id"]}, headers=editor)
    assert len(listed.json()["items"]) == 1
    # XML of the same body is the same request.
    xml = (
        f"<PaymentIn><order_id>{body['order_id']}</order_id><amount>25.00</amount>"
        "<currency>EUR</currency><source>sandbox:approve</source></PaymentIn>"
    )
    r = await client.post("/v1/payments", content=xml, headers={
        **keyed(editor, key), "Content-Type": "application/xml"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.headers["Idempotent-Replayed"] == "true"


async def test_the_same_key_for_another_request_is_refused(client, editor):
    key = str(uuid.uuid4())
    assert (await pay(client, editor, payment(), key)).status_code == 201
    r = await pay(client, editor, payment(), key)
    assert r.status_code == 422
    assert "different request" in r.json()["detail"]


async def test_keys_are_per_caller(client, issuer):
    """Two callers' equal keys are two keys."""
    key, body = str(uuid.uuid4()), payment()
    a = {"Authorization": f"Bearer {issuer.token(roles=['payment-editor'], sub='a')}"}
    b = {"Authorization": f"Bearer {issuer.token(roles=['payment-editor'], sub='b')}"}
    assert (await pay(client, a, body, key)).status_code == 201
    other = await pay(client, b, {**body, "order_id": str(uuid.uuid4())}, key)
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers


@pytest.mark.parametrize("key", [None, "short", "has space in it", "k" * 129])
async def test_a_missing_or_malformed_key_is_refused(client, editor, key):
    headers = editor if key is None else {**editor, "Idempotency-Key": key}
    r = await client.post("/v1/payments", json=payment(), headers=headers)
    assert r.status_code == 422


async def test_an_order_has_one_live_payment(client, editor):
    body = payment()
    first = (await pay(client, editor, body)).json()
    r = await pay(client, editor, body)
    assert r.status_code == 409
    assert r.json()["payment_id"] == first["id"]
    # Once voided, the order may be paid again; a declined payment never blocks.
    await client.post(f"/v1/payments/{first['id']}/void", headers=editor)
    order_id = body["order_id"]
    declined = await pay(client, editor, {**body, "source": "sandbox:decline"})
    assert declined.json()["status"] == "declined"
    assert (await pay(client, editor, body)).status_code == 201
    listed = await client.get("/v1/payments", params={"order_id": order_id}, headers=editor)
    assert [p["status"] for p in listed.json()["items"]] == ["voided", "declined", "authorized"]


async def test_capture_and_void(client, editor):
    a = (await pay(client, editor)).json()
    captured = await client.post(f"/v1/payments/{a['id']}/capture", headers=editor)
    assert (captured.json()["status"], captured.json()["captured_amount"]) == ("captured", "25.00")
    again = await client.post(f"/v1/payments/{a['id']}/capture", headers=editor)
    assert again.status_code == 200 and again.json() == captured.json()
    r = await client.post(f"/v1/payments/{a['id']}/void", headers=editor)
    assert r.status_code == 409 and "refund" in r.json()["detail"]

    b = (await pay(client, editor)).json()
    voided = await client.post(f"/v1/payments/{b['id']}/void", headers=editor)
    assert voided.json()["status"] == "voided"
    assert (await client.post(f"/v1/payments/{b['id']}/void", headers=editor)).json() == (
        voided.json()
    )
    assert (await client.post(f"/v1/payments/{b['id']}/capture", headers=editor)).status_code == 409

    declined = (await pay(client, editor, payment("sandbox:decline"))).json()
    for action in ("capture", "void"):
        r = await client.post(f"/v1/payments/{declined['id']}/{action}", headers=editor)
        assert r.status_code == 409


async def test_refunds_never_exceed_the_capture(client, editor):
    p = (await pay(client, editor, payment(amount="30.00", capture=True))).json()
    url = f"/v1/payments/{p['id']}/refunds"
    key = str(uuid.uuid4())
    first = await client.post(url, json={"amount": "10.00", "reason": "damaged"},
                              headers=keyed(editor, key))  # fmt: skip
    assert first.status_code == 201, first.text
    assert (first.json()["amount"], first.json()["reason"]) == ("10.00", "damaged")
    # The retry is the same refund; the same amount with a new key is a second one.
    retry = await client.post(url, json={"amount": "10.00", "reason": "damaged"},
                              headers=keyed(editor, key))  # fmt: skip
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    after = (await client.get(f"/v1/payments/{p['id']}", headers=editor)).json()
    assert (after["status"], after["refunded_amount"]) == ("partially_refunded", "10.00")
    over = await client.post(url, json={"amount": "20.01"}, headers=keyed(editor))
    assert over.status_code == 409 and over.json()["remaining"] == "20.00"
    rest = await client.post(url, json={"amount": "20.00"}, headers=keyed(editor))
    assert rest.status_code == 201
    after = (await client.get(f"/v1/payments/{p['id']}", headers=editor)).json()
    assert (after["status"], after["refunded_amount"]) == ("refunded", "30.00")
    listed = (await client.get(url, headers=editor)).json()["items"]
    assert [r["amount"] for r in listed] == ["10.00", "20.00"]
    more = await client.post(url, json={"amount": "0.01"}, headers=keyed(editor))
    assert more.status_code == 409


async def test_an_authorization_is_not_refunded(client, editor):
    p = (await pay(client, editor)).json()
    r = await client.post(f"/v1/payments/{p['id']}/refunds", json={"amount": "1.00"},
                          headers=keyed(editor))  # fmt: skip
    assert r.status_code == 409


async def test_unknown_payments_are_404(client, editor):
    missing = uuid.uuid4()
    for method, url in (
        ("GET", f"/v1/payments/{missing}"),
        ("GET", f"/v1/payments/{missing}/refunds"),
        ("POST", f"/v1/payments/{missing}/capture"),
        ("POST", f"/v1/payments/{missing}/void"),
    ):
        assert (await client.request(method, url, headers=editor)).status_code == 404, url
    r = await client.post(f"/v1/payments/{missing}/refunds", json={"amount": "1.00"},
                          headers=keyed(editor))  # fmt: skip
    assert r.status_code == 404


async def test_every_operation_needs_the_editor_role(client, issuer):
    stranger = {"Authorization": f"Bearer {issuer.token(roles=['catalog-editor'])}"}
    some = uuid.uuid4()
    calls = (
        ("POST", "/v1/payments", payment()),
        ("GET", f"/v1/payments?order_id={some}", None),
        ("GET", f"/v1/payments/{some}", None),
        ("POST", f"/v1/payments/{some}/capture", None),
    )
    for method, url, body in calls:
        assert (await client.request(method, url, json=body, headers=keyed({}))).status_code == 401
        r = await client.request(method, url, json=body, headers=keyed(stranger))
        assert r.status_code == 403, url


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "-1.00"},
        {"amount": "0"},
        {"amount": "1.001"},
        {"amount": "10000000000.00"},
        {"currency": "eur"},
        {"source": "4111 1111 1111 1111"},
        {"capture": 1},
        {"tip": "5.00"},
        {"order_id": "42"},
    ],
)
async def test_bad_payments_are_refused(client, editor, change):
    body = {**payment(), **change}
    r = await pay(client, editor, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    listed = await client.get("/v1/payments", params={"order_id": str(uuid.uuid4())},
                              headers=editor)  # fmt: skip
    assert listed.status_code == 200


async def test_a_list_needs_an_order(client, editor):
    assert (await client.get("/v1/payments", headers=editor)).status_code == 422


def test_prod_refuses_the_sandbox(database_url):
    with pytest.raises(ValueError, match="real payment provider"):
        PaymentSettings(
            environment="prod", database_url=database_url.replace(":payment@", ":s3cr3t-Pw@"),
            jwt_jwks_url="https://id.example/certs", jwt_issuer="https://id.example",
        )  # fmt: skip


@pytest.fixture(scope="module")
def race_database(pg) -> str:
    """A database of its own: the races' requests commit."""
    return migrated_database(pg, "payment_race", migrate, get_settings.cache_clear)


@pytest.fixture
async def committing(race_database, issuer):
    settings = PaymentSettings(
        environment="test", database_url=race_database, database_pool_size=20,
        jwt_jwks_url=issuer.jwks_url, jwt_issuer=issuer.issuer,
    )  # fmt: skip
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payment") as c:
        yield c, app
    await app.state.database.close()


async def test_concurrent_retries_charge_once(committing, editor):
    """Ten copies of one request at once (a client retrying on timeouts): one payment, ten
    equal answers."""
    client, app = committing
    body, key = payment(), str(uuid.uuid4())
    results = await asyncio.gather(*(pay(client, editor, body, key) for _ in range(10)))
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    assert sum("Idempotent-Replayed" in r.headers for r in results) == 9
    async with app.state.database.sessions() as s:
        count = await s.scalar(sa.select(sa.func.count()).where(
            Payment.order_id == uuid.UUID(body["order_id"])))  # fmt: skip
    assert count == 1


async def test_concurrent_payments_of_one_order_leave_one_live(committing, editor):
    client, _ = committing
    body = payment()
    results = await asyncio.gather(*(pay(client, editor, body) for _ in range(8)))
    assert sorted(r.status_code for r in results) == [201] + [409] * 7


async def test_housekeeping_purges_old_keys(committing, editor, race_database, capsys):
    client, app = committing
    old, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    await pay(client, editor, payment(), old)
    await pay(client, editor, payment(), fresh)
    async with app.state.database.sessions() as s, s.begin():
        await s.execute(
            idempotency.table.update()
            .where(idempotency.table.c.key == old)
            .values(created_at=sa.func.now() - timedelta(hours=25))
        )
    assert await run_command(housekeeping, race_database, get_settings.cache_clear) == 0
    assert "idempotency_keys_purged: 1" in capsys.readouterr().out
    async with app.state.database.sessions() as s:
        keys = set((await s.scalars(sa.select(idempotency.table.c.key))).all())
    assert fresh in keys and old not in keys
    async with app.state.database.sessions() as s:
        assert await Idempotency(idempotency.table).purge(s) == 0
