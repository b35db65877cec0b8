"""The events the content service writes to its outbox are exactly what
contracts/events/content promises, and the contracts are current."""

from pathlib import Path

import sqlalchemy as sa

from content.events import EVENTS
from content.models import outbox
from mach_service_kit.events import export
from mach_service_kit.testing import envelope_problems

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events" / "content"


def test_the_event_contracts_are_exported_and_compatible():
    assert export(EVENTS, CONTRACTS, check=True) == []


async def test_every_event_written_matches_its_contract(client, app, editor, entry):
    url = f"/v1/entries/{entry['id']}"
    published = await client.post(f"{url}/publish", headers={**editor, "If-Match": '"1"'})
    withdrawn = await client.post(
        f"{url}/unpublish", headers={**editor, "If-Match": published.headers["etag"]}
    )
    again = await client.post(
        f"{url}/publish", headers={**editor, "If-Match": withdrawn.headers["etag"]}
    )
    await client.delete(url, headers={**editor, "If-Match": again.headers["etag"]})
    current = await client.get("/v1/content-types/article")
    fields = [*current.json()["fields"], {"name": "teaser", "type": "text"}]
    await client.put(
        "/v1/content-types/article",
        json={"name": "Article", "fields": fields},
        headers={**editor, "If-Match": current.headers["etag"]},
    )
    async with app.state.database.sessions() as s:
        envelopes = (await s.scalars(sa.select(outbox.table.c.envelope))).all()
    assert {e["type"] for e in envelopes} == set(EVENTS)
    for envelope in envelopes:
        assert envelope_problems(envelope, CONTRACTS) == [], envelope["type"]
