import uuid

from conftest import ALICE, HOME


async def test_a_customer_is_the_tokens_subject(client, as_customer, alice):
    me = await client.get("/v1/customers/me", headers=as_customer("alice"))
    assert me.status_code == 200 and me.json() == alice and me.headers["etag"] == '"1"'
    assert (await client.get("/v1/customers/me", headers=as_customer("bob"))).status_code == 404
    assert (await client.get("/v1/customers/me")).status_code == 401
    assert "subject" not in alice  # the subject is for support staff


async def test_the_profile_is_replaced_with_its_etag(client, as_customer, alice):
    me = as_customer("alice")
    changed = {**ALICE, "name": "Alice Smith", "marketing_opt_in": True}
    assert (await client.put("/v1/customers/me", json=changed, headers=me)).status_code == 428
    ok = await client.put("/v1/customers/me", json=changed, headers={**me, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["marketing_opt_in"]
    stale = await client.put("/v1/customers/me", json=ALICE, headers={**me, "If-Match": '"1"'})
    assert stale.status_code == 412
    same = await client.put("/v1/customers/me", json=changed, headers={**me, "If-Match": '"2"'})
    assert same.json()["version"] == 2  # nothing changed, nothing written


async def test_profiles_are_validated(client, as_customer):
    me = as_customer("carol")
    for bad in (
        {**ALICE, "email": "not-an-address"},
        {**ALICE, "name": ""},
        {**ALICE, "locale": "german"},
        {**ALICE, "marketing_opt_in": 1},
        {**ALICE, "subject": "someone-else"},
        {"name": "no e-mail"},
    ):
        assert (await client.put("/v1/customers/me", json=bad, headers=me)).status_code == 422
    assert (await client.get("/v1/customers/me", headers=me)).status_code == 404


async def test_addresses_belong_to_their_customer(client, as_customer, alice):
    me, bob = as_customer("alice"), as_customer("bob")
    await client.put("/v1/customers/me", json={**ALICE, "email": "bob@example.org"}, headers=bob)
    added = await client.post("/v1/customers/me/addresses", json=HOME, headers=me)
    assert added.status_code == 201 and added.headers["location"].endswith(added.json()["id"])
    url = f"/v1/customers/me/addresses/{added.json()['id']}"
    # bob cannot see, change or remove alice's address: for him it does not exist
    assert (await client.get("/v1/customers/me/addresses", headers=bob)).json()["items"] == []
    assert (await client.put(url, json=HOME, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    moved = await client.put(url, json={**HOME, "city": "Potsdam"}, headers=me)
    assert moved.json()["city"] == "Potsdam"
    assert (await client.delete(url, headers=me)).status_code == 204
    assert (await client.get("/v1/customers/me/addresses", headers=me)).json()["items"] == []
    nobody = await client.post("/v1/customers/me/addresses", json=HOME, headers=as_customer("x"))
    assert nobody.status_code == 404  # a profile comes first


async def test_one_default_of_each_kind_and_a_limit(client, as_customer, alice):
    me = as_customer("alice")
    first = await client.post("/v1/customers/me/addresses",
                              json={**HOME, "default_shipping": True}, headers=me)  # fmt: skip
    second = await client.post(
        "/v1/customers/me/addresses",
        json={**HOME, "label": "work", "default_shipping": True, "default_billing": True},
        headers=me,
    )
    assert second.status_code == 201
    items = {a["label"]: a for a in (await client.get("/v1/customers/me/addresses",
                                                      headers=me)).json()["items"]}  # fmt: skip
    assert items["home"]["default_shipping"] is False and items["work"]["default_shipping"]
    third = await client.post("/v1/customers/me/addresses", json={**HOME, "label": "x"}, headers=me)
    assert third.status_code == 201
    over = await client.post("/v1/customers/me/addresses", json={**HOME, "label": "y"}, headers=me)
    assert over.status_code == 422 and "at most 3" in over.json()["detail"]
    for bad in ({**HOME, "country": "Germany"}, {**HOME, "line1": ""}, {**HOME, "zip": "1"}):
        assert (
            await client.post("/v1/customers/me/addresses", json=bad, headers=me)
        ).status_code == 422
    assert first.status_code == 201


async def test_support_staff_read_any_customer(client, as_customer, alice):
    await client.post("/v1/customers/me/addresses", json=HOME, headers=as_customer("alice"))
    support = as_customer("agent-7", "customer-editor")
    detail = await client.get(f"/v1/customers/{alice['id']}", headers=support)
    assert detail.status_code == 200
    assert detail.json()["subject"] == "alice" and len(detail.json()["addresses"]) == 1
    found = await client.get(
        "/v1/customers", params={"email": "ALICE@example.org"}, headers=support
    )
    assert [c["id"] for c in found.json()["items"]] == [alice["id"]]
    # a customer is not support staff
    assert (await client.get(f"/v1/customers/{alice['id']}",
                             headers=as_customer("alice"))).status_code == 403  # fmt: skip
    assert (await client.get(f"/v1/customers/{uuid.uuid4()}", headers=support)).status_code == 404


async def test_erasure_removes_the_profile_and_its_addresses(client, as_customer, alice):
    me = as_customer("alice")
    await client.post("/v1/customers/me/addresses", json=HOME, headers=me)
    assert (await client.delete("/v1/customers/me", headers=me)).status_code == 428
    assert (
        await client.delete("/v1/customers/me", headers={**me, "If-Match": '"1"'})
    ).status_code == 204
    assert (await client.get("/v1/customers/me", headers=me)).status_code == 404
    support = as_customer("agent-7", "customer-editor")
    assert (await client.get(f"/v1/customers/{alice['id']}", headers=support)).status_code == 404
    # the subject may sign up again
    again = await client.put("/v1/customers/me", json=ALICE, headers=me)
    assert again.status_code == 201 and again.json()["id"] != alice["id"]
