"""The outbox relay and the consumer against a real Kafka broker (the bundle's jars, TLS and
SCRAM) and a real PostgreSQL: events leave in order, keyed, exactly when committed; a consumer
handles each once, retries, dead-letters what cannot be handled, skips what it does not know,
and a replay rebuilds its read model."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import ValidationError

from mach_service_kit import ServiceSettings, kafka
from mach_service_kit.consumer import Consumer, PermanentError, processed_table
from mach_service_kit.db import Database
from mach_service_kit.outbox import Outbox, outbox_table
from mach_service_kit.relay import RELAY_LOCK, Relay
from mach_service_kit.testing import KafkaServer, consume, kafka_server

TOPIC = "things.events"
metadata = sa.MetaData()
OUTBOX = Outbox(outbox_table(metadata), "things")
PROCESSED = processed_table(metadata)
SEEN = sa.Table(
    "things_seen",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)


@pytest.fixture(scope="module")
def broker() -> Iterator[KafkaServer]:
    with kafka_server(users=["things"]) as server:
        yield server


@pytest.fixture(scope="module")
def kafka_settings(pg, broker) -> ServiceSettings:
    return ServiceSettings(
        service_name="things",
        environment="test",
        database_url=pg.create_database("things_events"),
        kafka_bootstrap=broker.bootstrap,
        kafka_password=broker.users["things"],
        kafka_ca_file=broker.ca_file,
    )


@pytest.fixture(scope="module")
async def database(kafka_settings):
    db = Database(kafka_settings)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    admin = AIOKafkaAdminClient(**kafka.options(kafka_settings))
    await admin.start()
    await admin.create_topics([NewTopic(TOPIC, 3, 1), NewTopic(TOPIC + ".dlq", 1, 1)])
    await admin.close()
    yield db
    await db.close()


@pytest.fixture
async def producer(kafka_settings):
    p = kafka.producer(kafka_settings)
    await p.start()
    yield p
    await p.stop()


async def write(db, key, name, event_type="things.Renamed", version=1):
    """A state change and its event in one transaction, as a service's handler does."""
    async with db.sessions() as s, s.begin():
        return await OUTBOX.record(
            s, topic=TOPIC, event_type=event_type, key=key, data={"name": name}, version=version
        )


async def test_the_relay_publishes_committed_events_in_order_once(
    database, producer, kafka_settings
):
    sent = [await write(database, f"thing-{i % 3}", f"name {i}") for i in range(9)]
    async with database.sessions() as s, s.begin():  # rolled back: never published
        await OUTBOX.record(s, topic=TOPIC, event_type="things.Renamed", key="x", data={})
        await s.rollback()
    relay = Relay(database.sessions, OUTBOX.table, producer, batch_size=5)
    assert await relay.publish_batch() == 5
    assert await relay.publish_batch() == 4
    assert await relay.publish_batch() == 0
    records = await consume(kafka_settings, TOPIC, 9)
    assert {r.value and json.loads(r.value)["id"] for r in records} == {e["id"] for e in sent}
    for key in ("thing-0", "thing-1", "thing-2"):
        mine = [r for r in records if r.key == key.encode()]
        assert len({r.partition for r in mine}) == 1  # one partition per aggregate
        names = [json.loads(r.value)["data"]["name"] for r in sorted(mine, key=lambda r: r.offset)]
        assert names == [e["data"]["name"] for e in sent if e["key"] == key]  # in order
    assert dict(records[0].headers)["event-type"] == b"things.Renamed"
    async with database.sessions() as s:
        unpublished = sa.select(sa.func.count()).where(OUTBOX.table.c.published_at.is_(None))
        assert await s.scalar(unpublished) == 0


async def test_one_relay_at_a_time(database, producer):
    await write(database, "thing-9", "held back")
    relay = Relay(database.sessions, OUTBOX.table, producer)
    async with database.sessions() as s, s.begin():
        assert await s.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RELAY_LOCK)))
        assert await relay.publish_batch() == 0  # another relay holds the lock
    assert await relay.publish_batch() == 1
    async with database.sessions() as s, s.begin():
        await s.execute(
            sa.update(OUTBOX.table).values(published_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert await relay.purge(timedelta(days=7)) == 10


def consumer_of(database, settings, producer, handlers, group=True):
    """The service's group member on TOPIC, or (group=False) an unsubscribed one, as replay
    needs."""
    c = kafka.consumer(settings, *([TOPIC] if group else []), group=group)
    return c, Consumer(c, producer, database.sessions, PROCESSED, handlers, "things", backoff=0.01)


async def record_seen(session, envelope):
    await session.execute(
        sa.insert(SEEN).values(
            id=envelope["id"], name=envelope["data"]["name"], version=envelope["version"]
        )
    )


async def seen(database):
    async with database.sessions() as s:
        return set((await s.scalars(sa.select(SEEN.c.name))).all())


async def test_the_consumer_handles_each_event_once_and_commits(database, producer, kafka_settings):
    kc, consumer = consumer_of(
        database, kafka_settings, producer, {("things.Renamed", 1): record_seen}
    )
    await kc.start()
    try:
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop, poll_ms=200))
        for _ in range(50):
            if len(await seen(database)) == 10:
                break
            await asyncio.sleep(0.2)
        stop.set()
        outcomes = await task
    finally:
        await kc.stop()
    assert len(await seen(database)) == 10 and outcomes == {"processed": 10}
    # the same records again (a redelivery): duplicates, nothing written twice
    records = await consume(kafka_settings, TOPIC, 10)
    assert {await consumer.handle(r) for r in records} == {"duplicate"}
    # the group's offsets were committed: a new member starts after them
    kc2, consumer2 = consumer_of(
        database, kafka_settings, producer, {("things.Renamed", 1): record_seen}
    )
    await kc2.start()
    try:
        await write(database, "thing-1", "after the commit")
        assert await Relay(database.sessions, OUTBOX.table, producer).publish_batch() == 1
        batch = await kc2.getmany(timeout_ms=5000)
        fresh = [r for rs in batch.values() for r in rs]
        assert [json.loads(r.value)["data"]["name"] for r in fresh] == ["after the commit"]
        assert await consumer2.handle(fresh[0]) == "processed"
    finally:
        await kc2.stop()


async def test_failures_are_retried_then_dead_lettered_and_unknown_events_skipped(
    database, producer, kafka_settings
):
    calls = {"flaky": 0, "broken": 0}

    async def flaky(session, envelope):
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise ConnectionError("the database blinked")
        await record_seen(session, envelope)

    async def broken(session, envelope):
        calls["broken"] += 1
        await record_seen(session, envelope)  # written, then rolled back
        raise RuntimeError("a bug")

    async def refuses(session, envelope):
        raise PermanentError("the thing is archived")

    handlers = {("things.Flaky", 1): flaky, ("things.Broken", 1): broken,
                ("things.Refused", 1): refuses}  # fmt: skip
    _, consumer = consumer_of(database, kafka_settings, producer, handlers, group=False)
    events = [
        await write(database, "t-a", "flaky one", "things.Flaky"),
        await write(database, "t-b", "broken one", "things.Broken"),
        await write(database, "t-c", "refused one", "things.Refused"),
        await write(database, "t-d", "from the future", "things.Renamed", version=2),
    ]
    assert await Relay(database.sessions, OUTBOX.table, producer).publish_batch() == 4
    await producer.send_and_wait(TOPIC, value=b"{not json", key=b"t-e")
    records = [r for r in await consume(kafka_settings, TOPIC, 16) if r.key in
               {b"t-a", b"t-b", b"t-c", b"t-d", b"t-e"}]  # fmt: skip
    outcomes = {r.key.decode(): await consumer.handle(r) for r in records}
    assert outcomes == {"t-a": "processed", "t-b": "dead-lettered", "t-c": "dead-lettered",
                        "t-d": "skipped", "t-e": "dead-lettered"}  # fmt: skip
    assert calls == {"flaky": 3, "broken": 3}
    names = await seen(database)
    assert "flaky one" in names and "broken one" not in names
    dead = await consume(kafka_settings, TOPIC + ".dlq", 3)
    reasons = {r.key.decode(): dict(r.headers) for r in dead}
    assert b"failed 3 times" in reasons["t-b"]["dlq-reason"]
    assert reasons["t-c"]["dlq-reason"] == b"things.Refused v1: the thing is archived"
    assert b"not an event envelope" in reasons["t-e"]["dlq-reason"]
    assert reasons["t-b"]["dlq-group"] == b"things"
    assert reasons["t-b"]["event-id"] == events[1]["id"].encode()  # original headers kept
    # a broken event is not marked processed: a fixed consumer may take it from the DLQ
    async with database.sessions() as s:
        ids = set((await s.scalars(sa.select(PROCESSED.c.event_id))).all())
    assert uuid.UUID(events[1]["id"]) not in ids and uuid.UUID(events[0]["id"]) in ids


async def test_a_replay_rebuilds_the_read_model(database, producer, kafka_settings):
    before = await seen(database)
    async with database.sessions() as s, s.begin():
        await s.execute(sa.delete(SEEN))
        await s.execute(sa.delete(PROCESSED))
    kc, consumer = consumer_of(
        database, kafka_settings, producer, {("things.Renamed", 1): record_seen}, group=False
    )
    await kc.start()
    try:
        outcomes = await consumer.replay([TOPIC], from_offset=0)
        assert await seen(database) == before - {"flaky one"}  # flaky's handler is not here
        assert outcomes["processed"] == 11
        again = await consumer.replay([TOPIC], from_time=datetime.now(UTC) - timedelta(hours=1))
        assert again["duplicate"] == 11
        assert (
            await consumer.replay([TOPIC], from_time=datetime.now(UTC) + timedelta(hours=1)) == {}
        )
    finally:
        await kc.stop()


async def test_production_needs_sasl_ssl_and_a_real_password():
    base = {
        "service_name": "things",
        "database_url": "postgresql+asyncpg://u:s3cr3t-value@h/d",
        "jwt_jwks_url": "https://k/certs",
        "jwt_issuer": "https://k",
        "kafka_bootstrap": "kafka-1:9092",
    }
    plaintext = {"kafka_password": "x" * 20, "kafka_security_protocol": "PLAINTEXT"}
    for extra in ({}, {"kafka_password": "change-me"}, plaintext):
        with pytest.raises(ValidationError, match="SASL_SSL"):
            ServiceSettings(**base, **extra)
    assert ServiceSettings(**base, kafka_password="x" * 20).kafka_security_protocol == "SASL_SSL"
    with pytest.raises(ValueError, match="kafka_bootstrap"):
        kafka.options(ServiceSettings(**{**base, "kafka_bootstrap": None}))
    assert isinstance(
        kafka.producer(ServiceSettings(**base, kafka_password="x" * 20)), AIOKafkaProducer
    )
