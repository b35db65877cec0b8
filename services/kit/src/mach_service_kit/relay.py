"""The outbox relay: publishes the outbox's rows to Kafka in id order, keyed by aggregate, and
marks them published in the same transaction that read them. At least once: a crash between
the broker's acknowledgement and the commit publishes those rows again, so consumers drop
duplicates by event id (consumer.py). One relay per database publishes at a time (an advisory
lock), so a second instance on another node cannot overtake the first and break the order of
an aggregate's events.

    relay = Relay(database.sessions, outbox.table, producer)
    await relay.run(stop)            # a service's `<service>-relay` unit
"""

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mach_service_kit import kafka, logs
from mach_service_kit.db import Database
from mach_service_kit.settings import ServiceSettings

log = logging.getLogger("mach_service_kit.relay")
# pg_try_advisory_xact_lock key: "mach" in ASCII; one relay per database holds it.
RELAY_LOCK = 0x6D616368


class Relay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: sa.Table,
        producer: AIOKafkaProducer,
        batch_size: int = 500,
    ) -> None:
        self.sessions = sessions
        self.table = table
        self.producer = producer
        self.batch_size = batch_size

    async def publish_batch(self) -> int:
        """Publishes up to `batch_size` unpublished events; returns how many (0 when there
        were none or another relay holds the lock)."""
        t = self.table
        async with self.sessions() as session, session.begin():
            if not await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RELAY_LOCK))):
                return 0
            rows = (
                await session.execute(
                    sa.select(t.c.id, t.c.topic, t.c.key, t.c.envelope)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                return 0
            sent = []
            for row in rows:
                envelope = row.envelope
                headers = [
                    ("event-id", str(envelope["id"]).encode()),
                    ("event-type", str(envelope["type"]).encode()),
                    ("event-version", str(envelope["version"]).encode()),
                ]
                sent.append(
                    await self.producer.send(
                        row.topic,
                        value=json.dumps(envelope).encode(),
                        key=row.key.encode(),
                        headers=headers,
                    )
                )
            await asyncio.gather(*sent)  # every one acknowledged by the in-sync replicas
            await session.execute(
                sa.update(t)
                .where(t.c.id.in_([row.id for row in rows]))
                .values(published_at=sa.func.now())
            )
            return len(rows)

    async def purge(self, older_than: timedelta) -> int:
        """Deletes rows published longer ago than `older_than` (the outbox is not a log)."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                sa.delete(self.table).where(self.table.c.published_at < sa.func.now() - older_than)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def run(
        self,
        stop: asyncio.Event,
        idle: float = 0.2,
        keep: timedelta = timedelta(days=7),
    ) -> None:
        """Publishes until `stop` is set: at once while there is a backlog, every `idle`
        seconds otherwise; purges old published rows now and then."""
        rounds = 0
        while not stop.is_set():
            try:
                published = await self.publish_batch()
                rounds += 1
                if rounds % 1000 == 0:
                    await self.purge(keep)
            except Exception:
                log.exception("publishing the outbox failed; retrying")
                published = 0
            if published == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle)


@contextlib.asynccontextmanager
async def worker(
    settings: ServiceSettings,
) -> AsyncIterator[tuple[Database, AIOKafkaProducer, asyncio.Event]]:
    """What a service's Kafka process (`<service>-relay`, `<service>-consumer`) runs in: JSON
    logs, its database, a started producer, and an event set by SIGTERM or SIGINT; the
    producer and the database are closed afterwards."""
    logs.configure(settings.service_name, settings.log_level)
    database = Database(settings)
    producer = kafka.producer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await producer.start()
    try:
        yield database, producer, stop
    finally:
        await producer.stop()
        await database.close()


async def serve(settings: ServiceSettings, table: sa.Table) -> None:
    """A service's relay process (`<service>-relay`): publishes until SIGTERM or SIGINT."""
    async with worker(settings) as (database, producer, stop):
        log.info("relaying %s's outbox to %s", settings.service_name, settings.kafka_bootstrap)
        await Relay(database.sessions, table, producer).run(stop)
