"""Idempotency keys and housekeeping on a real PostgreSQL database: a new key is claimed, the
same request replays, another request is refused, an abandoned attempt leaves no key, a
concurrent duplicate waits for the first and replays it, old keys are purged."""

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from mach_service_kit import ProblemError, ServiceSettings
from mach_service_kit.housekeeping import main as housekeeping
from mach_service_kit.idempotency import Idempotency, fingerprint, idempotency_table

KEYS = Idempotency(idempotency_table(sa.MetaData()))


@pytest.fixture(scope="module")
async def sessions(pg):
    url = pg.create_database("idempotency")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(KEYS.table.metadata.create_all)
    yield async_sessionmaker(engine, expire_on_commit=False), url
    await engine.dispose()


async def test_a_key_runs_once_then_replays(sessions):
    factory, _ = sessions
    async with factory() as s, s.begin():
        assert await KEYS.begin(s, scope="a", key="k1", operation="op", payload={"x": 1}) is None
        await KEYS.finish(s, scope="a", key="k1", status_code=201, body={"id": 7}, location="/7")
    async with factory() as s, s.begin():
        replay = await KEYS.begin(s, scope="a", key="k1", operation="op", payload={"x": 1})
        assert replay is not None
        assert (replay.status_code, replay.body, replay.location) == (201, {"id": 7}, "/7")
        with pytest.raises(ProblemError) as refused:
            await KEYS.begin(s, scope="a", key="k1", operation="op", payload={"x": 2})
        assert refused.value.status == 422
        # Another caller's key of the same name is theirs.
        assert await KEYS.begin(s, scope="b", key="k1", operation="op", payload={"x": 2}) is None


async def test_an_abandoned_attempt_leaves_no_key(sessions):
    factory, _ = sessions
    with pytest.raises(RuntimeError):
        async with factory() as s, s.begin():
            await KEYS.begin(s, scope="a", key="k2", operation="op", payload={})
            raise RuntimeError("the operation failed")
    async with factory() as s, s.begin():
        assert await KEYS.begin(s, scope="a", key="k2", operation="op", payload={}) is None


async def test_a_concurrent_duplicate_waits_and_replays(sessions):
    factory, _ = sessions
    first_holds = asyncio.Event()

    async def first() -> None:
        async with factory() as s, s.begin():
            await KEYS.begin(s, scope="a", key="k3", operation="op", payload={})
            first_holds.set()
            await asyncio.sleep(0.5)  # the operation, while the duplicate arrives
            await KEYS.finish(s, scope="a", key="k3", status_code=200, body={"done": True})

    async def duplicate() -> object:
        await first_holds.wait()
        async with factory() as s, s.begin():
            return await KEYS.begin(s, scope="a", key="k3", operation="op", payload={})

    _, replay = await asyncio.gather(first(), duplicate())
    assert replay is not None and replay.body == {"done": True}  # type: ignore[attr-defined]


def test_the_fingerprint_ignores_key_order():
    assert fingerprint("op", {"a": 1, "b": 2}) == fingerprint("op", {"b": 2, "a": 1})
    assert fingerprint("op", {"a": 1}) != fingerprint("other", {"a": 1})


async def test_housekeeping_purges_what_is_past_retention(sessions, capsys):
    factory, url = sessions
    async with factory() as s, s.begin():
        await KEYS.begin(s, scope="h", key="old", operation="op", payload={})
        await KEYS.begin(s, scope="h", key="new", operation="op", payload={})
        await s.execute(
            KEYS.table.update()
            .where(KEYS.table.c.key == "old")
            .values(created_at=sa.func.now() - timedelta(hours=25))
        )
    settings = ServiceSettings(service_name="things", environment="test", database_url=url)
    assert await asyncio.to_thread(housekeeping, settings, {"purged": KEYS.purge}) == 0
    assert "purged: 1" in capsys.readouterr().out
    async with factory() as s:
        left = set((await s.scalars(sa.select(KEYS.table.c.key))).all())
    assert "old" not in left and "new" in left
