import uuid

from test_products import events


async def test_categories_are_created_listed_and_nested(client, editor, category):
    child = await client.post(
        "/v1/categories",
        json={"slug": "green-tea", "name": "Green tea", "parent_id": category["id"]},
        headers=editor,
    )
    assert child.status_code == 201 and child.headers["location"].endswith(child.json()["id"])
    listed = (await client.get("/v1/categories")).json()["items"]
    assert [c["slug"] for c in listed] == ["green-tea", "tea"]
    got = await client.get(f"/v1/categories/{child.json()['id']}")
    assert got.json()["parent_id"] == category["id"]


async def test_category_conflicts_and_dangling_parents_are_refused(client, editor, category):
    dup = await client.post("/v1/categories", json={"slug": "tea", "name": "x"}, headers=editor)
    assert dup.status_code == 409
    orphan = {"slug": "orphan", "name": "x", "parent_id": str(uuid.uuid4())}
    assert (await client.post("/v1/categories", json=orphan, headers=editor)).status_code == 422
    bad = {"slug": "Not A Slug", "name": "x"}
    assert (await client.post("/v1/categories", json=bad, headers=editor)).status_code == 422
    assert (await client.get(f"/v1/categories/{uuid.uuid4()}")).status_code == 404


async def test_prices_are_set_idempotently_and_published_on_change(client, app, editor, product):
    url = f"/v1/prices/{product['id']}/EUR"
    created = await client.put(url, json={"amount": "4.50"}, headers=editor)
    assert created.status_code == 201 and created.json()["amount"] == "4.50"
    again = await client.put(url, json={"amount": 4.5}, headers=editor)
    assert again.status_code == 200
    changed = await client.put(url, json={"amount": "5.00"}, headers=editor)
    assert changed.status_code == 200 and changed.json()["amount"] == "5.00"
    await client.put(f"/v1/prices/{product['id']}/USD", json={"amount": "6"}, headers=editor)
    listed = (await client.get(f"/v1/prices/{product['id']}")).json()["items"]
    assert [(p["currency"], p["amount"]) for p in listed] == [("EUR", "5.00"), ("USD", "6.00")]
    assert (await client.get(url)).json()["amount"] == "5.00"
    sets = [e for e in await events(app, product["id"]) if e["type"] == "catalog.PriceSet"]
    assert [e["data"]["amount"] for e in sets] == ["4.50", "5.00", "6.00"]


async def test_bad_prices_are_refused(client, editor, product):
    base = f"/v1/prices/{product['id']}"
    for currency, body in [
        ("eur", {"amount": "1"}),
        ("EURO", {"amount": "1"}),
        ("EUR", {"amount": "-1"}),
        ("EUR", {"amount": "1.001"}),
        ("EUR", {"amount": "1e20"}),
        ("EUR", {"amount": "1", "currency": "EUR"}),
        ("EUR", {}),
    ]:
        r = await client.put(f"{base}/{currency}", json=body, headers=editor)
        assert r.status_code == 422, (currency, body, r.text)
    missing = await client.put(
        f"/v1/prices/{uuid.uuid4()}/EUR", json={"amount": "1"}, headers=editor
    )
    assert missing.status_code == 404
    assert (await client.get(f"{base}/GBP")).status_code == 404
    assert (await client.get(base)).json()["items"] == []


async def test_deleting_a_product_deletes_its_prices(client, editor, product):
    await client.put(f"/v1/prices/{product['id']}/EUR", json={"amount": "1"}, headers=editor)
    r = await client.delete(f"/v1/products/{product['id']}", headers={**editor, "If-Match": '"1"'})
    assert r.status_code == 204
    assert (await client.get(f"/v1/prices/{product['id']}")).json()["items"] == []
