"""Search over what the events said: words, filters, facet counts, prices per currency, stock
per location, paging; events handled twice or out of order change nothing."""

import httpx
import pytest

from conftest import deleted, handle, price, product, stock
from search.settings import SearchSettings


async def find(client, category, **params) -> dict:
    r = await client.get("/v1/search", params={"category_id": category, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def test_products_are_found_by_their_words_with_price_and_stock(client, index, category):
    mug = product(category, "MUG-1", "Enamel mug", description="a camping mug", colour="blue")
    pot = product(category, "POT-1", "Tea pot", colour="white")
    await handle(index, mug, pot, price(mug, "12.50"), stock(mug, "berlin", 4, 1))
    found = await find(client, category, q="mug")
    assert found["total"] == 1
    (hit,) = found["hits"]
    assert hit == {
        "product_id": mug["data"]["id"], "sku": "MUG-1", "name": "Enamel mug",
        "description": "a camping mug", "category_id": category, "price": "12.50",
        "in_stock": True, "attributes": {"colour": "blue"},
    }  # fmt: skip
    assert (await find(client, category, q="POT-1"))["hits"][0]["sku"] == "POT-1"
    everything = await find(client, category)
    assert everything["total"] == 2
    # The pot has no price yet and no stock count.
    pot_hit = next(h for h in everything["hits"] if h["sku"] == "POT-1")
    assert pot_hit["price"] is None and pot_hit["in_stock"] is False


async def test_facets_count_the_matches_and_narrow_them(client, index, category):
    await handle(index,
        product(category, "S-1", "Shirt", colour="red", size="M"),
        product(category, "S-2", "Shirt", colour="red", size="L"),
        product(category, "S-3", "Shirt", colour="blue", size="L", organic=True),
    )  # fmt: skip
    found = await find(client, category, q="shirt")
    attributes = found["facets"]["attributes"]
    assert attributes["colour"] == [{"value": "red", "count": 2}, {"value": "blue", "count": 1}]
    assert attributes["organic"] == [{"value": "true", "count": 1}]
    assert found["facets"]["category_id"] == [{"value": category, "count": 3}]
    narrowed = await find(client, category, q="shirt", facet=["colour:red", "size:L"])
    assert [h["sku"] for h in narrowed["hits"]] == ["S-2"]
    assert narrowed["facets"]["attributes"]["size"] == [{"value": "L", "count": 1}]


async def test_price_ranges_are_per_currency(client, index, category):
    cheap, dear = product(category, "P-1", "Pen"), product(category, "P-2", "Fountain pen")
    await handle(index, cheap, dear, price(cheap, "2.00"), price(dear, "80.00"),
                 price(dear, "95.00", currency="CHF"))  # fmt: skip
    assert [h["sku"] for h in (await find(client, category, max_price="10"))["hits"]] == ["P-1"]
    found = await find(client, category, min_price="50", max_price="100", currency="CHF")
    assert [(h["sku"], h["price"]) for h in found["hits"]] == [("P-2", "95.00")]


async def test_in_stock_follows_every_locations_count(client, index, category):
    item = product(category, "K-1", "Kettle")
    await handle(index, item, stock(item, "berlin", 2, 2), stock(item, "paris", 0))
    assert (await find(client, category, in_stock="true"))["total"] == 0
    await handle(index, stock(item, "paris", 3, minute=1))
    assert (await find(client, category, in_stock="true"))["total"] == 1
    await handle(index, stock(item, "paris", 0, minute=2))
    assert (await find(client, category, in_stock="false"))["total"] == 1


async def test_an_older_event_never_undoes_a_newer_one(client, index, category):
    v1 = product(category, "L-1", "Lamp")
    pid = v1["data"]["id"]
    v2 = product(category, "L-1", "Desk lamp", version=2, product_id=pid)
    await handle(index, v1, v2, price(v1, "30.00", minute=5), stock(v1, "berlin", 5, minute=5))
    # Replayed or late: the first version, an earlier price and an earlier count.
    await handle(index, v1, price(v1, "20.00", minute=1), stock(v1, "berlin", 0, minute=1))
    (hit,) = (await find(client, category))["hits"]
    assert (hit["name"], hit["price"], hit["in_stock"]) == ("Desk lamp", "30.00", True)


async def test_handling_an_event_twice_changes_nothing(client, index, category):
    item = product(category, "T-1", "Tray", colour="green")
    await handle(index, item, price(item, "5.00"))
    before = await find(client, category)
    await handle(index, item, price(item, "5.00"))
    assert await find(client, category) == before


async def test_a_deleted_product_is_gone_and_stays_gone(client, index, category):
    item = product(category, "D-1", "Doormat")
    pid = item["data"]["id"]
    await handle(index, item, deleted(item, 1))
    assert (await find(client, category))["total"] == 0
    # A late update of the version it was deleted at, or a price, brings nothing back.
    await handle(index, item, price(item, "9.00", minute=3))
    assert (await find(client, category))["total"] == 0
    late = product(category, "D-1", "Doormat", version=1, product_id=pid)
    await handle(index, late)
    assert (await find(client, category))["total"] == 0


async def test_pages_follow_the_cursor(client, index, category):
    await handle(index, *(product(category, f"C-{i}", "Cup") for i in range(5)))
    first = await find(client, category, limit=2)
    second = await find(client, category, limit=2, after=first["next"])
    third = await find(client, category, limit=2, after=second["next"])
    skus = [h["sku"] for page in (first, second, third) for h in page["hits"]]
    assert skus == [f"C-{i}" for i in range(5)] and third["next"] is None
    assert first["total"] == 5


@pytest.mark.parametrize(
    "params",
    [{"facet": "no-colon"}, {"min_price": "5", "max_price": "1"}, {"limit": "0"},
     {"limit": "101"}, {"currency": "eur"}, {"after": "not-a-cursor"}, {"min_price": "-1"},
     {"after": "WzFd"}, {"after": "WyJhIiwgImIiXQ=="}],
)  # fmt: skip
async def test_bad_queries_are_refused(client, index, params):
    r = await client.get("/v1/search", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_results_come_as_xml_too(client, index, category):
    await handle(index, product(category, "X-1", "Box"))
    r = await client.get("/v1/search", params={"category_id": category},
                         headers={"Accept": "application/xml"})  # fmt: skip
    assert r.status_code == 200 and "<sku>X-1</sku>" in r.text


async def test_before_anything_is_indexed_nothing_is_found(settings, app_factory):
    app = app_factory(settings.model_copy(update={"index_alias": "search-nothing-yet"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        r = await c.get("/v1/search", params={"q": "mug"})
    assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["hits"] == []
    await app.state.index.close()


async def test_readiness_follows_the_search_cluster(settings, app_factory):
    app = app_factory(settings.model_copy(update={"opensearch_hosts": "http://127.0.0.1:9"}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        r = await c.get("/readyz")
        found = await c.get("/v1/search", params={"q": "mug"})
    assert r.status_code == 503 and r.json()["detail"] == "the search cluster does not answer"
    # A search meanwhile is a 503 to retry, not a 500.
    assert found.status_code == 503 and found.headers["retry-after"] == "5"
    await app.state.index.close()


async def test_an_index_whose_shards_are_not_allocated_yet_is_a_503(settings, app_factory):
    """What a search meets while a new index's shards are being allocated (or the cluster is
    red): a 503 to retry, not a 500."""
    app = app_factory(settings.model_copy(update={"index_alias": "search-unallocated"}))
    body = {"settings": {"number_of_shards": 1, "number_of_replicas": 0,
                         "index.routing.allocation.require._name": "no-such-node"},
            "aliases": {"search-unallocated": {}}}  # fmt: skip
    await app.state.index.client.indices.create(
        index="search-unallocated-v1", body=body, wait_for_active_shards="0"
    )
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:
            r = await c.get("/v1/search", params={"q": "mug"})
        assert r.status_code == 503, r.text
        assert r.json()["detail"].startswith("the search cluster cannot answer now")
    finally:
        await app.state.index.client.indices.delete(index="search-unallocated-v1")
        await app.state.index.close()


def test_settings_outside_dev_need_tls_and_the_search_users_password(database_url, issuer):
    base = {"environment": "prod", "database_url": database_url,
            "jwt_jwks_url": issuer.jwks_url, "jwt_issuer": issuer.issuer}  # fmt: skip
    with pytest.raises(ValueError, match="TLS"):
        SearchSettings(**base, opensearch_hosts="http://a:9200")
    with pytest.raises(ValueError, match="password"):
        SearchSettings(**base, opensearch_hosts="https://a:9200", opensearch_username="search",
                       opensearch_password="change-me")  # fmt: skip
    SearchSettings(**base, opensearch_hosts="https://a:9200,https://b:9200",
                   opensearch_username="search", opensearch_password="from-vault-x")  # fmt: skip
