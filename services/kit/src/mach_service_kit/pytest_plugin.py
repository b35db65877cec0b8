"""Fixtures every service's tests share (a pytest plugin, loaded wherever the kit is
installed): a real PostgreSQL server for the session, a token issuer, a session-wide
monkeypatch, a helper that migrates a fresh database for the service, and a client whose
requests all run in one transaction that is rolled back after the test (STYLE 15)."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

# The rest is imported inside the fixtures: pytest loads this plugin before coverage starts.
if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

    from mach_service_kit.testing import PostgresServer, TokenIssuer


@pytest.fixture(scope="session")
def pg() -> Iterator["PostgresServer"]:
    from mach_service_kit.testing import postgres_server

    with postgres_server() as server:
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
