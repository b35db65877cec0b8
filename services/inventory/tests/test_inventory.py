import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from conftest import CUP, TEA, order
from inventory.housekeeping import main as housekeeping
from inventory.main import create_app
from inventory.migrate import main as migrate
from inventory.models import Reservation, outbox
from inventory.reservations.service import release_expired
from inventory.settings import InventorySettings, get_settings
from mach_service_kit.pytest_plugin import migrated_database, run_command


async def stock(client, product):
    return (await client.get(f"/v1/stock/{product}")).json()


async def test_counts_set_stock_per_location(client, editor, stocked):
    tea = await stock(client, TEA)
    assert (tea["on_hand"], tea["reserved"], tea["available"]) == (8, 0, 8)
    assert [x["location"] for x in tea["locations"]] == ["berlin", "paris"]
    same = await client.put(f"/v1/stock/{TEA}/paris", json={"on_hand": 3}, headers=editor)
    assert same.status_code == 200
    for bad in ({"on_hand": -1}, {"on_hand": "3"}, {"on_hand": 2.5}, {"on_hand": True}, {}):
        r = await client.put(f"/v1/stock/{TEA}/paris", json=bad, headers=editor)
        assert r.status_code == 422, bad
    assert (await client.put(f"/v1/stock/{TEA}/Paris!", json={"on_hand": 1},
                             headers=editor)).status_code == 422  # fmt: skip
    assert (await client.put(f"/v1/stock/{TEA}/paris", json={"on_hand": 1})).status_code == 401


async def test_a_reservation_takes_all_items_or_none(client, app, editor, stocked):
    r = await client.post("/v1/reservations", json=order((TEA, 7), (CUP, 2)), headers=editor)
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["status"] == "held"
    lines = {(x["product_id"], x["location"]): x["quantity"] for x in held["lines"]}
    assert lines == {(str(TEA), "berlin"): 5, (str(TEA), "paris"): 2, (str(CUP), "berlin"): 2}
    assert (await stock(client, TEA))["available"] == 1
    short = await client.post("/v1/reservations", json=order((TEA, 1), (CUP, 1)), headers=editor)
    assert short.status_code == 409
    assert short.json()["shortages"] == [{"product_id": str(CUP), "requested": 1, "available": 0}]
    assert (await stock(client, TEA))["available"] == 1  # nothing was taken for the tea
    unknown = await client.post("/v1/reservations", json=order((uuid.uuid4(), 1)), headers=editor)
    assert unknown.status_code == 409 and unknown.json()["shortages"][0]["available"] == 0


async def test_the_same_order_gets_the_same_reservation(client, editor, stocked):
    body = order((TEA, 2))
    first = await client.post("/v1/reservations", json=body, headers=editor)
    again = await client.post("/v1/reservations", json=body, headers=editor)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (await stock(client, TEA))["reserved"] == 2


async def test_commit_and_release_settle_once(client, app, editor, stocked):
    held = (await client.post("/v1/reservations", json=order((TEA, 6)), headers=editor)).json()
    url = f"/v1/reservations/{held['id']}"
    assert (await client.put(f"/v1/stock/{TEA}/berlin", json={"on_hand": 4},
                             headers=editor)).status_code == 409  # 5 reserved there  # fmt: skip
    committed = await client.post(f"{url}/commit", headers=editor)
    assert committed.json()["status"] == "committed"
    assert (await client.post(f"{url}/commit", headers=editor)).json()["status"] == "committed"
    assert (await client.post(f"{url}/release", headers=editor)).status_code == 409
    tea = await stock(client, TEA)
    assert (tea["on_hand"], tea["reserved"]) == (2, 0)  # the goods left
    other = (await client.post("/v1/reservations", json=order((TEA, 2)), headers=editor)).json()
    released = await client.post(f"/v1/reservations/{other['id']}/release", headers=editor)
    assert released.json()["status"] == "released"
    assert (await stock(client, TEA))["available"] == 2  # they came back
    assert (await client.get(url)).json()["status"] == "committed"
    assert (await client.get(f"/v1/reservations/{uuid.uuid4()}")).status_code == 404
    async with app.state.database.sessions() as s:
        types = (await s.scalars(sa.select(outbox.table.c.envelope["type"].astext)
                                 .order_by(outbox.table.c.id))).all()  # fmt: skip
    assert types[-4:] == ["inventory.StockReserved", "inventory.ReservationCommitted",
                          "inventory.StockReserved", "inventory.ReservationReleased"]  # fmt: skip


async def test_bad_reservations_are_refused(client, editor, stocked):
    for body in (
        {"order_id": str(uuid.uuid4()), "items": []},
        order((TEA, 0)),
        order((TEA, 1), (TEA, 2)),
        {**order((TEA, 1)), "priority": "high"},
        {"order_id": "x", "items": [{"product_id": str(TEA), "quantity": 1}]},
    ):
        assert (await client.post("/v1/reservations", json=body, headers=editor)).status_code == 422


async def test_the_sweep_releases_expired_holds(client, app, editor, stocked):
    held = (await client.post("/v1/reservations", json=order((CUP, 2)), headers=editor)).json()
    async with app.state.database.sessions() as s, s.begin():
        await s.execute(sa.update(Reservation).values(expires_at=datetime.now(UTC) - timedelta(1)))
        assert await release_expired(db_session=s) == 1
    assert (await client.get(f"/v1/reservations/{held['id']}")).json()["status"] == "released"
    assert (await stock(client, CUP))["available"] == 2


@pytest.fixture(scope="module")
def race_database(pg) -> str:
    """A database of its own: the race's requests commit."""
    return migrated_database(pg, "inventory_race", migrate, get_settings.cache_clear)


async def test_concurrent_orders_never_oversell(race_database, issuer):
    """Twenty orders of 1 race for 10 units in two locations, each request committing on its
    own connection: exactly 10 are held, the rest get 409, and stock ends exactly reserved."""
    settings = InventorySettings(
        environment="test", database_url=race_database, database_pool_size=20,
        jwt_jwks_url=issuer.jwks_url, jwt_issuer=issuer.issuer,
    )  # fmt: skip
    app = create_app(settings)
    editor = {"Authorization": f"Bearer {issuer.token(roles=['inventory-editor'])}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as c:
        for location in ("berlin", "paris"):
            await c.put(f"/v1/stock/{TEA}/{location}", json={"on_hand": 5}, headers=editor)
        results = await asyncio.gather(
            *(c.post("/v1/reservations", json=order((TEA, 1)), headers=editor) for _ in range(20))
        )
        codes = sorted(r.status_code for r in results)
        tea = (await c.get(f"/v1/stock/{TEA}")).json()
    await app.state.database.close()
    assert codes == [201] * 10 + [409] * 10
    assert (tea["on_hand"], tea["reserved"], tea["available"]) == (10, 10, 0)


async def test_housekeeping_releases_what_expired(race_database, issuer, capsys):
    """`inventory-housekeeping` (a systemd timer runs it) releases the holds past their time,
    and only those."""
    settings = InventorySettings(environment="test", database_url=race_database)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as c:
        await c.put(f"/v1/stock/{CUP}/lisbon", json={"on_hand": 4})
        held = (await c.post("/v1/reservations", json=order((CUP, 3)))).json()
        kept = (await c.post("/v1/reservations", json=order((CUP, 1)))).json()
        async with app.state.database.sessions() as s, s.begin():
            await s.execute(
                sa.update(Reservation)
                .where(Reservation.id == uuid.UUID(held["id"]))
                .values(expires_at=datetime.now(UTC) - timedelta(1))
            )
        assert await run_command(housekeeping, race_database, get_settings.cache_clear) == 0
        assert "reservations_released: 1" in capsys.readouterr().out
        assert (await c.get(f"/v1/reservations/{held['id']}")).json()["status"] == "released"
        assert (await c.get(f"/v1/reservations/{kept['id']}")).json()["status"] == "held"
        assert (await stock(c, CUP))["reserved"] == 1
    await app.state.database.close()


async def test_xml_clients_reserve_and_count_too(client, editor, stocked):
    """FR-004: quantities are strict integers; XML's text is typed by the operation's schema."""
    xml = {**editor, "Content-Type": "application/xml"}
    body = (
        f"<reservation><order_id>{uuid.uuid4()}</order_id><items type='list'><item>"
        f"<product_id>{TEA}</product_id><quantity>2</quantity></item></items></reservation>"
    )
    r = await client.post("/v1/reservations", content=body, headers=xml)
    assert r.status_code == 201, r.text
    assert r.json()["lines"][0]["quantity"] == 2
    r = await client.put(f"/v1/stock/{CUP}/berlin", content="<s><on_hand>7</on_hand></s>",
                         headers=xml)  # fmt: skip
    assert r.status_code == 200, r.text
    bad = await client.put(f"/v1/stock/{CUP}/berlin", content="<s><on_hand>7.5</on_hand></s>",
                           headers=xml)  # fmt: skip
    assert bad.status_code == 422
