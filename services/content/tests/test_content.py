import uuid

import sqlalchemy as sa

from conftest import ARTICLE
from content.models import outbox


async def events(app, key=None):
    async with app.state.database.sessions() as s:
        query = sa.select(outbox.table.c.envelope).order_by(outbox.table.c.id)
        if key:
            query = query.where(outbox.table.c.key == key)
        return list((await s.scalars(query)).all())


def etag(response):
    return {"If-Match": response.headers["etag"]}


async def test_a_content_type_is_created_read_and_announced(client, app, article_type):
    assert article_type["version"] == 1
    assert [f["name"] for f in article_type["fields"]][:2] == ["title", "body"]
    got = await client.get("/v1/content-types/article")
    assert got.json() == article_type and got.headers["etag"] == '"1"'
    assert [t["key"] for t in (await client.get("/v1/content-types")).json()["items"]] == [
        "article"
    ]
    [event] = await events(app, "article")
    assert event["type"] == "content.ContentTypeCreated"


async def test_content_type_definitions_are_checked(client, editor, article_type):
    bad = [
        {**ARTICLE, "key": "Article"},
        {**ARTICLE, "key": "x", "fields": []},
        {**ARTICLE, "key": "x", "fields": [{"name": "a", "type": "video"}]},
        {**ARTICLE, "key": "x", "fields": [{"name": "a", "type": "text"}] * 2},
        {**ARTICLE, "key": "x", "colour": "red"},
    ]
    for body in bad:
        assert (
            await client.post("/v1/content-types", json=body, headers=editor)
        ).status_code == 422
    dup = await client.post("/v1/content-types", json=ARTICLE, headers=editor)
    assert dup.status_code == 409
    assert (await client.get("/v1/content-types/nothing")).status_code == 404


async def test_content_types_change_compatibly_once_entries_exist(client, app, editor, entry):
    url = "/v1/content-types/article"
    current = await client.get(url)
    fields = current.json()["fields"]
    added = {"name": ARTICLE["name"], "fields": [*fields, {"name": "teaser", "type": "text"}]}
    ok = await client.put(url, json=added, headers={**editor, **etag(current)})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    breaking = {"name": "Article", "fields": [
        {**fields[0], "type": "rich_text"}, *fields[2:],
        {"name": "teaser", "type": "text", "required": True, "localized": True},
        {"name": "subtitle", "type": "text", "required": True},
    ]}  # fmt: skip
    refused = await client.put(url, json=breaking, headers={**editor, **etag(ok)})
    assert refused.status_code == 409
    assert set(refused.json()["problems"]) == {
        "title: type changed", "body: removed", "teaser: made required",
        "subtitle: added as required",
    }  # fmt: skip
    same = await client.put(url, json=added, headers={**editor, **etag(ok)})
    assert same.json()["version"] == 2  # unchanged: not written, not announced
    assert [e["type"] for e in await events(app, "article")] == [
        "content.ContentTypeCreated", "content.ContentTypeUpdated"
    ]  # fmt: skip
    stale = await client.put(url, json=added, headers={**editor, "If-Match": '"1"'})
    assert stale.status_code == 412


async def test_entries_are_validated_against_their_type(client, editor, article_type):
    def body(fields, **extra):
        return {"content_type": "article", "slug": "x", "fields": fields, **extra}

    r = await client.post("/v1/entries", json=body({
        "en": {"title": "t" * 121, "rating": "lots", "colour": "red", "featured": "yes",
               "issued": "2026-13-01", "related": str(uuid.uuid4())},
        "de": {"rating": 3}, "xx": {"title": "?"}, "fr": {"body": "a\x00b"},
    }), headers=editor)  # fmt: skip
    assert r.status_code == 422
    assert set(r.json()["problems"]) >= {
        "en.title: longer than 120 characters", "en.colour: not a field of this content type",
        "en.featured: expected true or false", "de.rating: not localized; set it in en",
        "xx: not one of the locales en, de, fr", "fr.body: text cannot hold NUL characters",
    }  # fmt: skip
    assert any(p.startswith("en.rating:") for p in r.json()["problems"])
    assert any(p.startswith("en.issued:") for p in r.json()["problems"])
    assert any(p.startswith("reference ") for p in r.json()["problems"])
    unknown = await client.post("/v1/entries", json=body({}, content_type="nope"), headers=editor)
    assert unknown.status_code == 422
    extra = await client.post("/v1/entries", json=body({}, status="published"), headers=editor)
    assert extra.status_code == 422
    assert (await client.get("/v1/entries", params={"view": "draft"}, headers=editor)).json()[
        "items"
    ] == []  # nothing was written


async def test_drafts_are_private_until_published(client, app, editor, entry):
    url = f"/v1/entries/{entry['id']}"
    assert entry["status"] == "draft" and entry["published_version"] is None
    assert (await client.get(url)).status_code == 404  # readers see published content only
    assert (await client.get(url, params={"view": "draft"})).status_code == 401
    draft = await client.get(url, params={"view": "draft"}, headers=editor)
    assert draft.json()["fields"]["de"] == {"title": "Hallo"}
    assert (await client.get("/v1/entries")).json()["items"] == []
    assert await events(app, entry["id"]) == []  # drafts are not announced


async def test_publishing_needs_required_fields_and_freezes_a_snapshot(client, app, editor, entry):
    url = f"/v1/entries/{entry['id']}"
    cleared = await client.patch(url, json={"fields": {"en": {"title": None}}},
                                 headers={**editor, "If-Match": '"1"'})  # fmt: skip
    assert cleared.status_code == 200 and "title" not in cleared.json()["fields"]["en"]
    refused = await client.post(f"{url}/publish", headers={**editor, **etag(cleared)})
    assert refused.status_code == 422 and refused.json()["problems"] == [
        "en.title: required to publish"
    ]
    fixed = await client.patch(url, json={"fields": {"en": {"title": "Hello again"}}},
                               headers={**editor, **etag(cleared)})  # fmt: skip
    published = await client.post(f"{url}/publish", headers={**editor, **etag(fixed)})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    version = published.json()["published_version"]
    assert version == published.json()["version"]

    german = (await client.get(url, params={"locale": "de"})).json()
    assert german["fields"]["title"] == "Hallo" and german["fields"]["rating"] == 4.5  # fallback
    assert german["published_version"] == version
    assert (await client.get(url, params={"locale": "fr"})).json()["fields"][
        "title"
    ] == "Hello again"
    assert (await client.get(url, params={"locale": "es"})).status_code == 422

    # a later draft change is not served until published again
    changed = await client.patch(url, json={"fields": {"en": {"title": "Draft title"}}},
                                 headers={**editor, **etag(published)})  # fmt: skip
    assert changed.json()["status"] == "changed"
    assert (await client.get(url)).json()["fields"]["title"] == "Hello again"
    [event] = [e for e in await events(app, entry["id"]) if e["type"] == "content.EntryPublished"]
    assert event["data"]["fields"]["en"]["title"] == "Hello again"
    assert event["data"]["published_version"] == version
    again = await client.post(f"{url}/publish", headers={**editor, **etag(changed)})
    assert again.json()["status"] == "published"
    assert (await client.get(url)).json()["fields"]["title"] == "Draft title"
    idempotent = await client.post(f"{url}/publish", headers={**editor, **etag(again)})
    assert idempotent.json()["version"] == again.json()["version"]  # nothing new: no change
    assert len(await events(app, entry["id"])) == 2


async def test_unpublish_and_delete_withdraw_the_entry(client, app, editor, entry):
    url = f"/v1/entries/{entry['id']}"
    not_yet = await client.post(f"{url}/unpublish", headers={**editor, "If-Match": '"1"'})
    assert not_yet.status_code == 409
    published = await client.post(f"{url}/publish", headers={**editor, "If-Match": '"1"'})
    listed = await client.get("/v1/entries", params={"content_type": "article", "locale": "de"})
    assert [e["fields"]["title"] for e in listed.json()["items"]] == ["Hallo"]
    withdrawn = await client.post(f"{url}/unpublish", headers={**editor, **etag(published)})
    assert withdrawn.json()["status"] == "draft"
    assert (await client.get(url)).status_code == 404
    again = await client.post(f"{url}/publish", headers={**editor, **etag(withdrawn)})
    assert (await client.delete(url, headers=editor)).status_code == 428
    assert (await client.delete(url, headers={**editor, **etag(again)})).status_code == 204
    assert (await client.get(url, params={"view": "draft"}, headers=editor)).status_code == 404
    assert [e["type"] for e in await events(app, entry["id"])] == [
        "content.EntryPublished", "content.EntryUnpublished", "content.EntryPublished",
        "content.EntryDeleted",
    ]  # fmt: skip


async def test_references_slugs_and_paging(client, editor, entry):
    other = {"content_type": "article", "slug": "second",
             "fields": {"en": {"title": "Second", "related": entry["id"], "featured": True,
                               "issued": "2026-12-03"}}}  # fmt: skip
    r = await client.post("/v1/entries", json=other, headers=editor)
    assert r.status_code == 201, r.text
    assert r.json()["fields"]["en"]["related"] == entry["id"]
    dup = await client.post("/v1/entries", json={**other, "fields": {}}, headers=editor)
    assert dup.status_code == 409
    url = f"/v1/entries/{r.json()['id']}"
    taken = await client.patch(url, json={"slug": "hello"}, headers={**editor, **etag(r)})
    assert taken.status_code == 409
    moved = await client.patch(url, json={"slug": "third"}, headers={**editor, **etag(r)})
    assert moved.json()["slug"] == "third"
    first = await client.get("/v1/entries", params={"view": "draft", "limit": 1}, headers=editor)
    rest = await client.get("/v1/entries", params={"view": "draft", "limit": 1,
                            "after": first.json()["next"]}, headers=editor)  # fmt: skip
    slugs = {first.json()["items"][0]["slug"], rest.json()["items"][0]["slug"]}
    assert slugs == {"hello", "third"} and rest.json()["next"] is None


async def test_xml_clients_get_typed_fields(client, editor, article_type):
    body = (
        "<entry><content_type>article</content_type><slug>xml</slug><fields>"
        "<en><title>From XML</title><rating>3.5</rating><featured>false</featured></en>"
        "</fields></entry>"
    )
    r = await client.post(
        "/v1/entries", content=body,
        headers={**editor, "Content-Type": "application/xml", "Accept": "application/xml"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert "<rating>3.5</rating>" in r.text and "<featured>false</featured>" in r.text
    typed = await client.get(f"/v1/entries/{r.headers['location'].rsplit('/', 1)[1]}",
                             params={"view": "draft"}, headers=editor)  # fmt: skip
    assert typed.json()["fields"]["en"] == {"title": "From XML", "rating": 3.5, "featured": False}
