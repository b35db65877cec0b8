"""Carts through the API: session carts in the real Redis, customers' carts in the real
PostgreSQL, lines priced by the catalog (pact's mock of it, from the cart's contract)."""

import asyncio
import subprocess
import time
import uuid
from decimal import Decimal

import httpx
import pytest

from cart.main import create_app
from cart.settings import CartSettings
from cart.store import Line, SessionCarts
from catalog_pact import GONE, MUG, MUG_EUR


async def new_cart(client, headers=None, currency="EUR") -> dict:
    r = await client.post("/v1/carts", json={"currency": currency}, headers=headers or {})
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/v1/carts/{r.json()['id']}"
    assert r.headers["etag"] == '"1"'
    return r.json()


async def test_a_session_cart_lives_in_redis_and_expires(client, redis, settings):
    cart = await new_cart(client)
    assert cart["session"] is True and cart["lines"] == [] and cart["total"] == "0"
    key = f"cart:session:{cart['id']}"
    ttl = int(redis.cli("TTL", key))
    assert 0 < ttl <= settings.session_ttl_s
    assert cart["expires_at"] is not None
    # Nothing of it is in PostgreSQL.
    again = await client.get(f"/v1/carts/{cart['id']}")
    assert again.json() == cart


async def test_a_line_is_priced_by_the_catalog(client):
    cart = await new_cart(client)
    r = await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lines"] == [{"product_id": MUG, "sku": "MUG-1", "name": "Mug", "quantity": 2,
                              "unit_price": MUG_EUR, "line_total": "25.00"}]  # fmt: skip
    assert body["total"] == "25.00" and body["item_count"] == 2 and body["version"] == 2
    assert r.headers["etag"] == '"2"'
    # Putting it again replaces the quantity.
    r = await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 3})
    assert r.json()["total"] == "37.50" and len(r.json()["lines"]) == 1


async def test_what_the_catalog_lacks_is_refused_and_changes_nothing(client):
    cart = await new_cart(client)
    gone = await client.put(f"/v1/carts/{cart['id']}/lines/{GONE}", json={"quantity": 1})
    assert gone.status_code == 422 and GONE in gone.json()["detail"]
    usd = await new_cart(client, currency="USD")
    r = await client.put(f"/v1/carts/{usd['id']}/lines/{MUG}", json={"quantity": 1})
    assert r.status_code == 422 and "USD" in r.json()["detail"]
    assert (await client.get(f"/v1/carts/{usd['id']}")).json()["version"] == 1


async def test_a_catalog_that_does_not_answer_is_a_503_to_retry(settings, app_factory, redis_url):
    app = app_factory(settings.model_copy(update={"catalog_url": "http://127.0.0.1:9"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cart") as c:
        cart = await new_cart(c)
        r = await c.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 1})
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.headers["content-type"] == "application/problem+json"
        # Reading and emptying carts does not need the catalog, and the app is ready.
        assert (await c.get(f"/v1/carts/{cart['id']}")).status_code == 200
        assert (await c.get("/readyz")).status_code == 200
        assert (await c.delete(f"/v1/carts/{cart['id']}")).status_code == 204
    await app.state.session_carts.close()
    await app.state.catalog.close()


async def test_removing_lines_and_the_cart(client, redis):
    cart = await new_cart(client)
    await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 1})
    r = await client.delete(f"/v1/carts/{cart['id']}/lines/{MUG}")
    assert r.status_code == 200 and r.json()["lines"] == [] and r.json()["version"] == 3
    again = await client.delete(f"/v1/carts/{cart['id']}/lines/{MUG}")
    assert again.status_code == 404
    assert (await client.delete(f"/v1/carts/{cart['id']}")).status_code == 204
    assert redis.cli("EXISTS", f"cart:session:{cart['id']}") == "0"
    assert (await client.get(f"/v1/carts/{cart['id']}")).status_code == 404
    assert (await client.delete(f"/v1/carts/{cart['id']}")).status_code == 404


async def test_if_match_is_honoured_when_sent(client):
    cart = await new_cart(client)
    path = f"/v1/carts/{cart['id']}/lines/{MUG}"
    stale = await client.put(path, json={"quantity": 1}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412 and stale.json()["version"] == 1
    ok = await client.put(path, json={"quantity": 1}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    gone = await client.delete(f"/v1/carts/{cart['id']}", headers={"If-Match": '"1"'})
    assert gone.status_code == 412


async def test_limits_per_cart(client, settings):
    cart = await new_cart(client)
    too_many = await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 21})
    assert too_many.status_code == 422 and "at most 20" in too_many.json()["detail"]
    # max_lines (3 here): a fourth product is refused before the catalog is asked.
    lines = [Line(product_id=uuid.uuid4(), sku=f"S{i}", name="x", quantity=1,
              unit_price=Decimal("1.00")) for i in range(settings.max_lines)]  # fmt: skip
    carts: SessionCarts = client._transport.app.state.session_carts
    await carts.change(uuid.UUID(cart["id"]), lambda c: c.model_copy(update={"lines": lines}))
    r = await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 1})
    assert r.status_code == 422 and "at most 3 products" in r.json()["detail"]


@pytest.mark.parametrize(
    "body", [{}, {"quantity": 0}, {"quantity": "2"}, {"quantity": 1, "extra": 1}, {"quantity": 1.5}]
)
async def test_bad_quantities_are_refused(client, body):
    cart = await new_cart(client)
    r = await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_a_customers_cart_is_theirs_alone_and_kept_in_postgresql(client, as_customer, pg):
    alice, bob = as_customer("alice"), as_customer("bob")
    cart = await new_cart(client, alice)
    assert cart["session"] is False and cart["expires_at"] is None
    r = await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 2},
                         headers=alice)  # fmt: skip
    assert r.json()["total"] == "25.00"
    assert (await client.get(f"/v1/carts/{cart['id']}", headers=alice)).json() == r.json()
    for who in (bob, {}):
        assert (await client.get(f"/v1/carts/{cart['id']}", headers=who)).status_code == 404
        change = await client.delete(f"/v1/carts/{cart['id']}/lines/{MUG}", headers=who)
        assert change.status_code == 404
    assert (await client.delete(f"/v1/carts/{cart['id']}", headers=alice)).status_code == 204
    assert (await client.get(f"/v1/carts/{cart['id']}", headers=alice)).status_code == 404


async def test_signing_in_claims_the_session_cart(client, as_customer, redis):
    alice = as_customer("alice")
    cart = await new_cart(client)
    await client.put(f"/v1/carts/{cart['id']}/lines/{MUG}", json={"quantity": 1})
    assert (await client.post(f"/v1/carts/{cart['id']}/claim")).status_code == 401
    r = await client.post(f"/v1/carts/{cart['id']}/claim", headers=alice)
    assert r.status_code == 200, r.text
    claimed = r.json()
    assert claimed["session"] is False and claimed["expires_at"] is None
    assert claimed["id"] == cart["id"] and claimed["lines"][0]["sku"] == "MUG-1"
    assert redis.cli("EXISTS", f"cart:session:{cart['id']}") == "0"
    # Claiming again answers the same; the cart is hers now, not anyone's with the id.
    again = await client.post(f"/v1/carts/{cart['id']}/claim", headers=alice)
    assert again.json() == claimed
    assert (await client.get(f"/v1/carts/{cart['id']}")).status_code == 404
    bob = await client.post(f"/v1/carts/{cart['id']}/claim", headers=as_customer("bob"))
    assert bob.status_code == 404
    missing = await client.post(f"/v1/carts/{uuid.uuid4()}/claim", headers=alice)
    assert missing.status_code == 404


async def test_concurrent_changes_to_a_session_cart_lose_none(app, settings):
    carts: SessionCarts = app.state.session_carts
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as c:
        cart = await new_cart(c)
    cart_id = uuid.UUID(cart["id"])

    def bump(current):
        lines = list(current.lines)
        return current.model_copy(update={"version": current.version + 1, "lines": lines})

    await asyncio.gather(*(carts.change(cart_id, bump) for _ in range(4)))
    assert (await carts.get(cart_id)).version == 5
    await carts.delete(cart_id)


async def test_the_redis_user_reaches_only_the_carts_keys(redis_url):
    from redis.asyncio import Redis
    from redis.exceptions import NoPermissionError

    client = Redis.from_url(redis_url)
    try:
        with pytest.raises(NoPermissionError):
            await client.get("order:anything")
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def sentinel(redis, tmp_path_factory):
    """A real Sentinel (Debian's redis-server in sentinel mode) watching the test Redis as
    master `mach`, like the fleet's three."""
    from mach_service_kit.testing import free_port

    base = tmp_path_factory.mktemp("sentinel")
    port = free_port()
    conf = base / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {base}\n"
        f"sentinel monitor mach 127.0.0.1 {redis.port} 1\n"
        f"sentinel auth-pass mach {redis.password}\n"
    )
    proc = subprocess.Popen(["redis-server", str(conf), "--sentinel"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            out = subprocess.run(["redis-cli", "-p", str(port), "SENTINEL", "master", "mach"],
                                 capture_output=True, text=True, check=False)  # fmt: skip
            if "flags\nmaster" in out.stdout:
                break
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_through_sentinel_the_cart_finds_the_master(settings, sentinel, app_factory):
    app = app_factory(settings.model_copy(update={"redis_sentinels": sentinel}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cart") as c:
        assert (await c.get("/readyz")).status_code == 200
        cart = await new_cart(c)
        assert (await c.get(f"/v1/carts/{cart['id']}")).json() == cart
    await app.state.session_carts.close()
    await app.state.catalog.close()


def test_settings_outside_dev_need_redis_over_tls_with_a_real_password(database_url, issuer):
    base = {"environment": "prod", "database_url": database_url,
            "jwt_jwks_url": issuer.jwks_url, "jwt_issuer": issuer.issuer}  # fmt: skip
    with pytest.raises(ValueError, match="placeholder"):
        CartSettings(**base, redis_url="rediss://cart:change-me@redis:6379/0")
    with pytest.raises(ValueError, match="TLS"):
        CartSettings(**base, redis_url="redis://cart:s3cret-from-vault@redis:6379/0")
    ok = CartSettings(
        **base, redis_url="rediss://cart:s3cret-from-vault@redis:6379/0",
        redis_sentinels="a:26379,b:26379", redis_ca_file="/etc/ssl/ca.crt",
    )  # fmt: skip
    app = create_app(ok)
    assert app.state.session_carts.redis.connection_pool.service_name == "mach"
