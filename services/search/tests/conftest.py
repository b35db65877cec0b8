"""The search service's tests run on a real OpenSearch node from the bundle and a real
PostgreSQL server (the kit's pytest plugin: `opensearch`, `pg`, `issuer`, `app`, `client`).
Events are built to the catalog's and the inventory's exported contracts and handled by
`search-consumer`'s own handlers. The index is shared by the session: each test files its
products under a category of its own and searches within it."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mach_service_kit.pytest_plugin import service_fixtures
from mach_service_kit.testing import envelope_problems
from search.consumer import handlers
from search.main import create_app
from search.migrate import main as migrate
from search.settings import SearchSettings, get_settings

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events"
T0 = datetime(2026, 12, 1, tzinfo=UTC)

database_url, _settings, app_factory = service_fixtures(
    "search", migrate, get_settings.cache_clear, SearchSettings, create_app
)


@pytest.fixture(scope="session")
def settings(database_url, issuer, opensearch) -> SearchSettings:
    return SearchSettings(
        environment="test", database_url=database_url, jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer, opensearch_hosts=opensearch.url, index_shards=1,
        index_replicas=0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def contract_environment(opensearch) -> dict[str, str]:
    return {"MACH_OPENSEARCH_HOSTS": opensearch.url, "MACH_INDEX_REPLICAS": "0"}


@pytest.fixture(scope="session")
async def index(app):
    await app.state.index.ensure()
    return app.state.index


@pytest.fixture
def category() -> str:
    return str(uuid.uuid4())


def envelope(kind: str, key: str, data: dict, at: datetime = T0) -> dict:
    source = kind.split(".")[0]
    event = {"id": str(uuid.uuid4()), "type": kind, "version": 1, "source": source,
             "time": at.isoformat(), "key": key, "data": data}  # fmt: skip
    assert envelope_problems(event, CONTRACTS / source) == []
    return event


def product(category: str, sku: str, name: str, *, version: int = 1, product_id: str | None = None,
            description: str = "", **attributes) -> dict:  # fmt: skip
    pid = product_id or str(uuid.uuid4())
    kind = "catalog.ProductCreated" if version == 1 else "catalog.ProductUpdated"
    return envelope(kind, pid, {
        "id": pid, "sku": sku, "name": name, "description": description,
        "category_id": category, "attributes": attributes, "version": version,
        "created_at": T0.isoformat(), "updated_at": (T0 + timedelta(minutes=version)).isoformat(),
    })  # fmt: skip


def deleted(event: dict, version: int) -> dict:
    data = event["data"]
    return envelope("catalog.ProductDeleted", data["id"],
                    {"id": data["id"], "sku": data["sku"], "version": version})  # fmt: skip


def price(product_event: dict, amount: str, currency: str = "EUR", minute: int = 0) -> dict:
    pid = product_event["data"]["id"]
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return envelope("catalog.PriceSet", pid, {"product_id": pid, "currency": currency,
                                              "amount": amount, "updated_at": at})  # fmt: skip


def stock(product_event: dict, location: str, on_hand: int, reserved: int = 0,
          minute: int = 0) -> dict:  # fmt: skip
    pid = product_event["data"]["id"]
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return envelope("inventory.StockCounted", pid, {
        "product_id": pid, "location": location, "on_hand": on_hand, "reserved": reserved,
        "updated_at": at,
    })  # fmt: skip


async def handle(index, *events: dict) -> None:
    """As `search-consumer` handles them (its database session is not used by the handlers),
    then a refresh so that searches see them."""
    table = handlers(index)
    for event in events:
        await table[(event["type"], event["version"])](None, event)
    await index.refresh()
