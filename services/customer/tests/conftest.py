"""The customer service's tests run on a real PostgreSQL server (the kit's pytest plugin:
`pg`, `issuer`, `app`, `client`); each test's client runs in a transaction rolled back
afterwards. A customer is a token's subject: `as_customer("alice")` is her bearer header."""

import pytest

from customer.main import create_app
from customer.migrate import main as migrate
from customer.settings import CustomerSettings, get_settings
from mach_service_kit.pytest_plugin import migrated_database

ALICE = {"email": "alice@example.org", "name": "Alice", "locale": "de"}
HOME = {"label": "home", "recipient": "Alice", "line1": "Hauptstr. 1", "postal_code": "10115",
        "city": "Berlin", "country": "DE"}  # fmt: skip


@pytest.fixture(scope="session")
def database_url(pg, monkeypatch_session) -> str:
    url = migrated_database(pg, "customer", migrate, get_settings.cache_clear)
    monkeypatch_session.setenv("MACH_ENVIRONMENT", "test")
    monkeypatch_session.setenv("MACH_DATABASE_URL", url)
    return url


@pytest.fixture(scope="session")
def settings(database_url, issuer) -> CustomerSettings:
    return CustomerSettings(
        environment="test",
        database_url=database_url,
        jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer,
        max_addresses=3,
    )


@pytest.fixture(scope="session")
def app_factory():
    return create_app


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
