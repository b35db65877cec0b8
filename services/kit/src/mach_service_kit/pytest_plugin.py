"""Fixtures every service's tests share (a pytest plugin, loaded wherever the kit is
installed): a real PostgreSQL server for the session, a token issuer, a session-wide
monkeypatch, a helper that migrates a fresh database for the service, and a client whose
requests all run in one transaction that is rolled back after the test (STYLE 15)."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

# The rest is imported inside the fixtures: pytest loads this plugin before coverage starts.
if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

    from mach_service_kit.testing import (
        OpenSearchServer,
        PostgresServer,
        RedisServer,
        TokenIssuer,
    )


@pytest.fixture(scope="session")
def pg() -> Iterator["PostgresServer"]:
    from mach_service_kit.testing import postgres_server

    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis() -> Iterator["RedisServer"]:
    """A real Redis server for the session (a service that keeps state in Redis)."""
    from mach_service_kit.testing import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def opensearch() -> Iterator["OpenSearchServer"]:
    """A real OpenSearch node for the session (the search service's index)."""
    from mach_service_kit.testing import opensearch_server

    with opensearch_server() as server:
        yield server


@pytest.fixture(scope="session")
def issuer() -> Iterator["TokenIssuer"]:
    from mach_service_kit.testing import TokenIssuer

    with TokenIssuer() as token_issuer:
        yield token_issuer


@pytest.fixture(scope="session")
def monkeypatch_session() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def migrated_database(
    pg: "PostgresServer",
    name: str,
    migrate: Callable[[list[str]], int],
    cache_clear: Callable[[], None],
) -> str:
    """A new database and login `name`, migrated to head by the service's own migrate
    command (which reads its settings from the environment); returns its URL."""
    url = pg.create_database(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MACH_ENVIRONMENT", "test")
        mp.setenv("MACH_DATABASE_URL", url)
        cache_clear()
        try:
            assert migrate(["upgrade", "head"]) == 0
        finally:
            cache_clear()
    return url


def service_fixtures(
    service: str,
    migrate: Callable[[list[str]], int],
    cache_clear: Callable[[], None],
    settings_class: Callable[..., Any],
    app_factory: Callable[[Any], "FastAPI"],
    **settings: Any,
) -> tuple[Any, Any, Any]:
    """A service's conftest binds these to `database_url`, `settings` and `app_factory`: its
    database migrated once per session (and the environment its commands read pointed at it),
    its test settings (the issuer's JWKS, `settings` on top), and its app factory; the
    plugin's `app` and `client` fixtures build on them."""

    @pytest.fixture(scope="session", name="database_url")
    def database_url(pg: "PostgresServer", monkeypatch_session: pytest.MonkeyPatch) -> str:
        url = migrated_database(pg, service, migrate, cache_clear)
        monkeypatch_session.setenv("MACH_ENVIRONMENT", "test")
        monkeypatch_session.setenv("MACH_DATABASE_URL", url)
        return url

    @pytest.fixture(scope="session", name="settings")
    def test_settings(database_url: str, issuer: "TokenIssuer") -> Any:
        return settings_class(
            environment="test", database_url=database_url, jwt_jwks_url=issuer.jwks_url,
            jwt_issuer=issuer.issuer, **settings,
        )  # fmt: skip

    @pytest.fixture(scope="session", name="app_factory")
    def factory() -> Callable[[Any], "FastAPI"]:
        return app_factory

    return database_url, test_settings, factory


@asynccontextmanager
async def rollback_client(app: "FastAPI", base_url: str) -> AsyncIterator["httpx.AsyncClient"]:
    """A client whose requests run in one outer transaction, rolled back afterwards: each
    request's own transaction becomes a savepoint in it."""
    import httpx
    from sqlalchemy.ext.asyncio import async_sessionmaker

    database = app.state.database
    async with database.engine.connect() as connection:
        outer = await connection.begin()
        original = database.sessions
        database.sessions = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                yield client
        finally:
            database.sessions = original
            await outer.rollback()


@pytest.fixture(scope="session")
def app(settings: Any, app_factory: Callable[[Any], "FastAPI"]) -> "FastAPI":
    """The service's app on its test settings (a service's conftest defines `settings` and
    `app_factory`)."""
    return app_factory(settings)


@pytest.fixture
async def client(app: "FastAPI") -> AsyncIterator["httpx.AsyncClient"]:
    async with rollback_client(app, f"http://{app.title}") as c:
        yield c


async def run_command(
    main: Callable[[], int], database_url: str, cache_clear: Callable[[], None]
) -> int:
    """Runs a service's console command (`<service>-housekeeping`, say) as its unit would,
    with its settings read from the environment and pointed at `database_url`, in a thread
    (the command runs its own event loop)."""
    import asyncio

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MACH_ENVIRONMENT", "test")
        mp.setenv("MACH_DATABASE_URL", database_url)
        cache_clear()
        try:
            return await asyncio.to_thread(main)
        finally:
            cache_clear()


def migrations_test(
    service: str, migrate: Callable[[list[str]], int], cache_clear: Callable[[], None]
) -> Callable[..., None]:
    """A service's migrations test (its test module binds it to a test_ name): on a fresh
    database, up to head, the models and the migrations agree (`alembic check`), down to base
    leaves nothing but alembic_version, and up again."""

    def test(pg: "PostgresServer", monkeypatch: pytest.MonkeyPatch) -> None:
        name = f"{service}_migrations"
        monkeypatch.setenv("MACH_DATABASE_URL", migrated_database(pg, name, migrate, cache_clear))
        monkeypatch.setenv("MACH_ENVIRONMENT", "test")
        cache_clear()
        try:
            assert migrate(["check"]) == 0  # raises when the models and migrations disagree
            assert migrate(["downgrade", "base"]) == 0
            tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            assert pg.psql(tables, database=name) == "1"  # alembic_version
            assert migrate(["upgrade", "head"]) == 0
            assert migrate(["current"]) == 0
        finally:
            cache_clear()

    return test


@pytest.fixture(scope="module")
def contract_environment() -> dict[str, str]:
    """More environment for the server the contract tests drive (a service whose settings
    need more than a database, its Redis say, overrides this fixture in its conftest)."""
    return {}


def contract_suite(
    service: str, migrate: Callable[[list[str]], int], cache_clear: Callable[[], None]
) -> tuple[Callable[..., None], Any, Callable[..., None]]:
    """A service's contract tests (its test_contract.py binds them to module names):
    the exported OpenAPI (contracts/openapi/<service>/openapi.json) equals the app's, and
    schemathesis drives every documented operation of the real server (uvicorn, as the unit
    runs it, on its own migrated database) with generated valid and invalid requests: no
    server error, every response as documented, invalid input refused."""
    import inspect
    from pathlib import Path

    # <repository>/services/<service>/src/<service>/migrate.py
    root = Path(inspect.getfile(migrate)).resolve().parents[4]
    exported = root / "contracts" / "openapi" / service / "openapi.json"

    def test_the_exported_openapi_is_current() -> None:
        from mach_service_kit.openapi import render

        assert exported.read_text() == render(f"{service}.main:create_app"), (
            f"{exported} is stale: run `make -C services openapi`"
        )

    @pytest.fixture(scope="module")
    def server(
        pg: "PostgresServer", issuer: "TokenIssuer", contract_environment: dict[str, str]
    ) -> Iterator[str]:
        from mach_service_kit.testing import uvicorn_server

        url = migrated_database(pg, f"{service}_contract", migrate, cache_clear)
        env = {
            "MACH_ENVIRONMENT": "test",
            "MACH_DATABASE_URL": url,
            "MACH_JWT_JWKS_URL": issuer.jwks_url,
            "MACH_JWT_ISSUER": issuer.issuer,
            **contract_environment,
        }
        with uvicorn_server(f"{service}.main:create_app", env) as base:
            yield base

    def test_every_operation_keeps_the_contract(
        server: str, issuer: "TokenIssuer", tmp_path: Path
    ) -> None:
        from mach_service_kit.testing import schemathesis_run

        token = issuer.token(roles=[f"{service}-editor"], lifetime=900)
        proc = schemathesis_run(server, token, tmp_path)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]

    return test_the_exported_openapi_is_current, server, test_every_operation_keeps_the_contract
