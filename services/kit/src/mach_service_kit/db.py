"""The service's own PostgreSQL database: one async engine per app, one transaction per
request (committed when the handler returns, rolled back when it raises, so a failed request
writes nothing)."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from mach_service_kit.settings import ServiceSettings


class Database:
    def __init__(self, settings: ServiceSettings) -> None:
        self.engine: AsyncEngine = create_async_engine(
            settings.database_url.get_secret_value(),
            pool_size=settings.database_pool_size,
            pool_pre_ping=True,
            connect_args={"server_settings": {"application_name": settings.service_name}},
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ready(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.sessions() as db_session, db_session.begin():
        yield db_session


# scope="function": the transaction commits before the response is sent, so a failing commit
# (a constraint raced by another writer) becomes the response instead of a lost write.
SessionDep = Annotated[AsyncSession, Depends(session, scope="function")]
