"""The payment's tables (created by its Alembic migrations)."""

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mach_service_kit.consumer import processed_table
from mach_service_kit.db import NAMING_CONVENTION, utcnow
from mach_service_kit.idempotency import Idempotency, idempotency_table
from mach_service_kit.outbox import Outbox, outbox_table
from payment import SERVICE

STATUSES = ("authorized", "declined", "captured", "partially_refunded", "refunded", "voided")
# The statuses in which a payment holds or has taken the order's money.
LIVE = ("authorized", "captured", "partially_refunded", "refunded")
Money = sa.Numeric(12, 2)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    decline_code: Mapped[str | None] = mapped_column(sa.Text)
    provider: Mapped[str] = mapped_column(sa.Text)
    provider_reference: Mapped[str | None] = mapped_column(sa.Text)
    captured_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # The database holds the money's invariants whatever the code does, and an order has at
    # most one live payment (a declined or voided one may be followed by another).
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_quoted(STATUSES)})", name="status_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint(
            "0 <= refunded_amount AND refunded_amount <= captured_amount "
            "AND captured_amount <= amount",
            name="money_within_amount",
        ),
        sa.Index(
            "payments_one_live_per_order",
            "order_id",
            unique=True,
            postgresql_where=sa.text(f"status IN ({_quoted(LIVE)})"),
        ),
    )


class Refund(Base):
    __tablename__ = "refunds"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)


outbox = Outbox(outbox_table(Base.metadata), SERVICE)
idempotency = Idempotency(idempotency_table(Base.metadata))
processed = processed_table(Base.metadata)
