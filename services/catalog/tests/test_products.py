import uuid

import sqlalchemy as sa

from catalog.models import outbox


async def events(client_app, key: str) -> list[dict]:
    """The outbox rows for `key`, read in the test's transaction."""
    async with client_app.state.database.sessions() as s:
        rows = await s.execute(
            sa.select(outbox.table.c.topic, outbox.table.c.envelope)
            .where(outbox.table.c.key == key)
            .order_by(outbox.table.c.id)
        )
        return [{"topic": t, **e} for t, e in rows.all()]


async def test_create_returns_the_product_its_location_and_etag(client, app, product):
    assert product["version"] == 1 and product["attributes"]["organic"] is True
    got = await client.get(f"/v1/products/{product['id']}")
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.json() == product
    [event] = await events(app, product["id"])
    assert event["topic"] == "catalog.events"
    assert event["type"] == "catalog.ProductCreated" and event["source"] == "catalog"
    assert event["key"] == product["id"] and event["data"]["sku"] == "TEA-001"


async def test_a_duplicate_sku_is_a_conflict(client, editor, product):
    body = {"sku": "TEA-001", "name": "again", "category_id": product["category_id"]}
    r = await client.post("/v1/products", json=body, headers=editor)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Conflict" and "TEA-001" in r.json()["detail"]


async def test_an_unknown_category_is_refused_and_nothing_is_written(client, app, editor):
    body = {"sku": "TEA-404", "name": "x", "category_id": str(uuid.uuid4())}
    r = await client.post("/v1/products", json=body, headers=editor)
    assert r.status_code == 422 and "does not exist" in r.json()["detail"]
    listed = await client.get("/v1/products")
    assert listed.json()["items"] == []
    async with app.state.database.sessions() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(outbox.table)) == 0


async def test_unknown_fields_and_bad_values_are_422_problems(client, editor, category):
    cases = [
        {"sku": "TEA-002", "name": "x", "category_id": category["id"], "colour": "green"},
        {"sku": "tea 2", "name": "x", "category_id": category["id"]},
        {"sku": "TEA-002", "name": "", "category_id": category["id"]},
        {"sku": "TEA-002", "name": "x", "category_id": "not-a-uuid"},
        {"sku": "TEA-002", "name": "x", "category_id": category["id"], "attributes": {"": 1}},
        {"sku": "TEA-002", "name": "x", "category_id": category["id"],
         "attributes": {f"a{i}": i for i in range(51)}},
        {"sku": "TEA-002", "name": "x", "category_id": category["id"], "attributes": {"a": [1]}},
    ]  # fmt: skip
    for body in cases:
        r = await client.post("/v1/products", json=body, headers=editor)
        assert r.status_code == 422, body
        problem = r.json()
        assert problem["status"] == 422 and problem["errors"], body
        assert "input" not in problem["errors"][0]  # the input is never echoed


async def test_listing_pages_by_sku_and_filters_by_category(client, editor, category):
    other = (
        await client.post("/v1/categories", json={"slug": "cups", "name": "Cups"}, headers=editor)
    ).json()
    for i in range(5):
        body = {"sku": f"TEA-{i:03}", "name": f"tea {i}", "category_id": category["id"]}
        assert (await client.post("/v1/products", json=body, headers=editor)).status_code == 201
    body = {"sku": "CUP-001", "name": "cup", "category_id": other["id"]}
    assert (await client.post("/v1/products", json=body, headers=editor)).status_code == 201

    first = (await client.get("/v1/products", params={"limit": 4})).json()
    assert [p["sku"] for p in first["items"]] == ["CUP-001", "TEA-000", "TEA-001", "TEA-002"]
    rest = (await client.get("/v1/products", params={"limit": 4, "after": first["next"]})).json()
    assert [p["sku"] for p in rest["items"]] == ["TEA-003", "TEA-004"] and rest["next"] is None
    cups = (await client.get("/v1/products", params={"category_id": other["id"]})).json()
    assert [p["sku"] for p in cups["items"]] == ["CUP-001"]
    assert (await client.get("/v1/products", params={"limit": 0})).status_code == 422
    assert (await client.get("/v1/products", params={"limit": 101})).status_code == 422


async def test_patch_needs_the_current_etag(client, app, editor, product):
    url = f"/v1/products/{product['id']}"
    missing = await client.patch(url, json={"name": "Gyokuro"}, headers=editor)
    assert missing.status_code == 428
    ok = await client.patch(url, json={"name": "Gyokuro"}, headers={**editor, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["name"] == "Gyokuro" and ok.json()["version"] == 2
    assert ok.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"name": "Bancha"}, headers={**editor, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["version"] == 2
    assert (await client.get(url)).json()["name"] == "Gyokuro"
    types = [e["type"] for e in await events(app, product["id"])]
    assert types == ["catalog.ProductCreated", "catalog.ProductUpdated"]


async def test_patch_validates_what_it_changes(client, editor, product):
    url = f"/v1/products/{product['id']}"
    headers = {**editor, "If-Match": '"1"'}
    assert (await client.patch(url, json={}, headers=headers)).status_code == 422
    assert (await client.patch(url, json={"name": None}, headers=headers)).status_code == 422
    assert (await client.patch(url, json={"sku": "NEW-1"}, headers=headers)).status_code == 422
    moved = await client.patch(url, json={"category_id": str(uuid.uuid4())}, headers=headers)
    assert moved.status_code == 422
    assert (await client.get(url)).json()["version"] == 1


async def test_delete_removes_the_product_and_publishes_it(client, app, editor, product):
    url = f"/v1/products/{product['id']}"
    assert (await client.delete(url, headers={**editor, "If-Match": '"7"'})).status_code == 412
    assert (await client.delete(url, headers={**editor, "If-Match": "*"})).status_code == 204
    assert (await client.get(url)).status_code == 404
    assert (await client.delete(url, headers={**editor, "If-Match": "*"})).status_code == 404
    assert [e["type"] for e in await events(app, product["id"])][-1] == "catalog.ProductDeleted"


async def test_an_unknown_product_is_a_404_problem(client):
    r = await client.get(f"/v1/products/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json()["title"] == "Not Found"
    assert (await client.get("/v1/products/42")).status_code == 422
