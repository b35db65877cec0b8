"""Consuming events: each event is handled in a transaction that also records its id, so a
redelivered event (the relay and Kafka are at least once) changes nothing; a failing handler
is retried with backoff, then the event goes to the topic's dead-letter twin
(`<topic>.dlq`, services/catalog.yml) with the reason, and consumption goes on. Offsets are
committed only after an event is handled or dead-lettered. Unknown types or versions are
skipped (docs/adr/0022). `replay` re-reads partitions from an offset or a time, e.g. to
rebuild a read model.

    consumer = Consumer(kafka_consumer, producer, database.sessions, processed,
                        handlers={("catalog.ProductCreated", 1): index_product}, group="search")
    await consumer.run(stop)
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from mach_service_kit.settings import ServiceSettings

log = logging.getLogger("mach_service_kit.consumer")
DLQ_SUFFIX = ".dlq"
Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


class PermanentError(Exception):
    """A handler's verdict that retrying cannot help (the event contradicts the state)."""


def processed_table(metadata: sa.MetaData) -> sa.Table:
    """The ids of the events this service has handled (its migrations create it)."""
    return sa.Table(
        "processed_events",
        metadata,
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


class Consumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        sessions: async_sessionmaker[AsyncSession],
        processed: sa.Table,
        handlers: dict[tuple[str, int], Handler],
        group: str,
        attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.sessions = sessions
        self.processed = processed
        self.handlers = handlers
        self.group = group
        self.attempts = attempts
        self.backoff = backoff

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> str:
        log.error(
            "dead-lettering %s/%s/%s: %s", record.topic, record.partition, record.offset, reason
        )
        headers = [
            *(record.headers or ()),
            ("dlq-reason", reason[:1000].encode()),
            ("dlq-group", self.group.encode()),
            ("dlq-source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self.producer.send_and_wait(
            record.topic + DLQ_SUFFIX, value=record.value, key=record.key, headers=headers
        )
        return "dead-lettered"

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """processed | duplicate | skipped | dead-lettered"""
        try:
            envelope = json.loads(record.value or b"")
            event_id = uuid.UUID(envelope["id"])
            kind = (str(envelope["type"]), int(envelope["version"]))
        except (ValueError, KeyError, TypeError) as exc:
            return await self.dead_letter(record, f"not an event envelope: {exc!r}")
        handler = self.handlers.get(kind)
        if handler is None:
            return "skipped"
        for attempt in range(1, self.attempts + 1):
            try:
                async with self.sessions() as session, session.begin():
                    first = await session.scalar(
                        insert(self.processed)
                        .values(
                            event_id=event_id,
                            topic=record.topic,
                            partition=record.partition,
                            offset=record.offset,
                        )
                        .on_conflict_do_nothing()
                        .returning(self.processed.c.event_id)
                    )
                    if first is None:
                        return "duplicate"
                    await handler(session, envelope)
                return "processed"
            except PermanentError as exc:
                return await self.dead_letter(record, f"{kind[0]} v{kind[1]}: {exc}")
            except Exception as exc:
                if attempt == self.attempts:
                    return await self.dead_letter(
                        record, f"{kind[0]} v{kind[1]} failed {attempt} times: {exc!r}"
                    )
                log.warning("%s failed (attempt %s), retrying: %r", kind[0], attempt, exc)
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def run(self, stop: asyncio.Event, poll_ms: int = 500) -> dict[str, int]:
        """Consumes as the service's group until `stop` is set; returns the outcome counts."""
        outcomes: dict[str, int] = {}
        while not stop.is_set():
            batches = await self.consumer.getmany(timeout_ms=poll_ms)
            for partition, records in batches.items():
                for record in records:
                    outcome = await self.handle(record)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                    await self.consumer.commit({partition: record.offset + 1})
        return outcomes

    async def replay(
        self,
        topics: list[str],
        *,
        from_offset: int | None = None,
        from_time: datetime | None = None,
    ) -> dict[str, int]:
        """Re-reads every partition of `topics` from `from_offset` (each partition's) or from
        `from_time` up to the end as it is now, handling each event again (this consumer must
        have no group: nothing is committed). Events already recorded are duplicates unless the
        caller cleared the read model and its processed ids first."""
        # Track the topics' metadata, as aiokafka's own subscribe() does: an assigned
        # consumer otherwise knows no partitions (topics() fetches but does not keep them).
        for topic in topics:
            await self.consumer._client.add_topic(topic)
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        self.consumer.assign(partitions)
        end = await self.consumer.end_offsets(partitions)
        if from_time is not None:
            stamp = int(from_time.timestamp() * 1000)
            found = await self.consumer.offsets_for_times({tp: stamp for tp in partitions})
            for tp in partitions:
                self.consumer.seek(tp, found[tp].offset if found[tp] else end[tp])
        else:
            for tp in partitions:
                self.consumer.seek(tp, from_offset or 0)
        outcomes: dict[str, int] = {}
        remaining = {tp for tp in partitions if await self.consumer.position(tp) < end[tp]}
        while remaining:
            batches = await self.consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= end[tp]:
                        break
                    outcome = await self.handle(record)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
            remaining = {tp for tp in remaining if await self.consumer.position(tp) < end[tp]}
        return outcomes


async def serve(
    settings: "ServiceSettings",
    processed: sa.Table,
    handlers: dict[tuple[str, int], Handler],
    topics: list[str],
) -> dict[str, int]:
    """A service's consumer process (`<service>-consumer`): consumes `topics` as the service's
    group until SIGTERM or SIGINT; returns the outcome counts."""
    from mach_service_kit import kafka
    from mach_service_kit.relay import worker

    async with worker(settings) as (database, producer, stop):
        consumer = kafka.consumer(settings, *topics)
        await consumer.start()
        log.info("consuming %s as %s", ",".join(topics), settings.service_name)
        try:
            return await Consumer(
                consumer, producer, database.sessions, processed, handlers, settings.service_name
            ).run(stop)
        finally:
            await consumer.stop()
