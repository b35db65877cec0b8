"""The customer service's tests run on a real PostgreSQL server (the kit's pytest plugin:
`pg`, `issuer`, `app`, `client`); each test's client runs in a transaction rolled back
afterwards. A customer is a token's subject: `as_customer("alice")` is her bearer header."""

import pytest

from customer.main import create_app
from customer.migrate import main as migrate
from customer.settings import CustomerSettings, get_settings
from mach_service_kit.pytest_plugin import service_fixtures

ALICE = {"email": "alice@example.org", "name": "Alice", "locale": "de"}
HOME = {"label": "home", "recipient": "Alice", "line1": "Hauptstr. 1", "postal_code": "10115",
        "city": "Berlin", "country": "DE"}  # fmt: skip


database_url, settings, app_factory = service_fixtures(
    "customer", migrate, get_settings.cache_clear, CustomerSettings, create_app, max_addresses=3
)


@pytest.fixture
def as_customer(issuer):
    def header(subject: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(sub=subject, roles=list(roles))}"}

    return header


@pytest.fixture
async def alice(client, as_customer) -> dict:
    r = await client.put("/v1/customers/me", json=ALICE, headers=as_customer("alice"))
    assert r.status_code == 201, r.text
    return r.json()
