"""The catalog's tests run on a real PostgreSQL server (mach_service_kit.testing): the
migrations run once, and each test runs inside a transaction that is rolled back, so tests
are isolated and leave nothing behind (STYLE 15)."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from catalog.main import create_app
from catalog.migrate import main as migrate
from catalog.settings import CatalogSettings
from mach_service_kit.testing import PostgresServer, TokenIssuer, postgres_server

EDITOR = "catalog-editor"


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def database_url(pg, monkeypatch_session) -> str:
    url = pg.create_database("catalog")
    monkeypatch_session.setenv("MACH_ENVIRONMENT", "test")
    monkeypatch_session.setenv("MACH_DATABASE_URL", url)
    from catalog.settings import get_settings

    get_settings.cache_clear()
    assert migrate(["upgrade", "head"]) == 0
    return url


@pytest.fixture(scope="session")
def monkeypatch_session() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session")
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer() as token_issuer:
        yield token_issuer


@pytest.fixture(scope="session")
def settings(database_url, issuer) -> CatalogSettings:
    return CatalogSettings(
        environment="test",
        database_url=database_url,
        jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer,
        max_body_bytes=65536,
    )


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests all run in one outer transaction, rolled back afterwards: each
    request's own transaction becomes a savepoint in it."""
    database = app.state.database
    async with database.engine.connect() as connection:
        outer = await connection.begin()
        original = database.sessions
        database.sessions = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as c:
                yield c
        finally:
            database.sessions = original
            await outer.rollback()


@pytest.fixture
def editor(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(roles=[EDITOR])}"}


@pytest.fixture
async def category(client, editor) -> dict:
    response = await client.post(
        "/v1/categories", json={"slug": "tea", "name": "Tea"}, headers=editor
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def product(client, editor, category) -> dict:
    body = {
        "sku": "TEA-001",
        "name": "Sencha",
        "description": "green tea",
        "category_id": category["id"],
        "attributes": {"origin": "JP", "organic": True, "grams": 100},
    }
    response = await client.post("/v1/products", json=body, headers=editor)
    assert response.status_code == 201, response.text
    return response.json()
