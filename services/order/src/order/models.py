"""The order's tables (created by its Alembic migrations): the event store, the read model
projected from it, the local price list, and the kit's outbox, processed events and keys."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mach_service_kit.consumer import processed_table
from mach_service_kit.db import NAMING_CONVENTION, utcnow
from mach_service_kit.idempotency import Idempotency, idempotency_table
from mach_service_kit.outbox import Outbox, outbox_table
from order import SERVICE

Money = sa.Numeric(12, 2)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class OrderEvent(Base):
    """The event store: an order is the fold of its events. (order_id, seq) is the key, so
    two writers appending the same next event collide instead of both winning."""

    __tablename__ = "order_events"
    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    __table_args__ = (sa.CheckConstraint("seq > 0", name="seq_positive"),)


class OrderView(Base):
    """The read model (CQRS): one row per order, as its events leave it."""

    __tablename__ = "orders"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(sa.Text, index=True)
    status: Mapped[str] = mapped_column(sa.Text)
    currency: Mapped[str] = mapped_column(sa.Text)
    total: Mapped[Decimal] = mapped_column(Money)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Price(Base):
    """The catalog's prices as its events last said (catalog.PriceSet)."""

    __tablename__ = "prices"
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


outbox = Outbox(outbox_table(Base.metadata), SERVICE)
processed = processed_table(Base.metadata)
idempotency = Idempotency(idempotency_table(Base.metadata))
