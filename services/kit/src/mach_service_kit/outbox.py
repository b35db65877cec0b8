"""The transactional outbox: an event is a row written in the same transaction as the state it
describes, so it is published if and only if that state was committed. A relay publishes the
rows to Kafka in id order, keyed by aggregate (per-key ordering), and marks them published.

The envelope (contracts/events/README.md): id, type, version, source, time, key, data."""

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """The outbox as a table of the service's own metadata (its migrations create it)."""
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Index("outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    )


class Outbox:
    def __init__(self, table: sa.Table, source: str) -> None:
        self.table = table
        self.source = source

    def envelope(
        self, event_type: str, key: str, data: dict[str, Any], version: int = 1
    ) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": version,
            "source": self.source,
            "time": datetime.now(UTC).isoformat(),
            "key": key,
            "data": data,
        }

    async def record(
        self,
        db_session: AsyncSession,
        *,
        topic: str,
        event_type: str,
        key: str,
        data: dict[str, Any],
        version: int = 1,
    ) -> dict[str, Any]:
        """Adds the event to the caller's transaction; returns its envelope."""
        envelope = self.envelope(event_type, key, data, version)
        await db_session.execute(
            self.table.insert().values(
                event_id=uuid.UUID(envelope["id"]), topic=topic, key=key, envelope=envelope
            )
        )
        return envelope
