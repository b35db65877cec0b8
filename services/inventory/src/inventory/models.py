"""The inventory's tables (created by its Alembic migrations)."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from inventory import SERVICE
from mach_service_kit.consumer import processed_table
from mach_service_kit.db import NAMING_CONVENTION, utcnow
from mach_service_kit.outbox import Outbox, outbox_table


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Stock(Base):
    __tablename__ = "stock"
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    on_hand: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # The database holds the invariant whatever the code does.
    __table_args__ = (
        sa.CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )


class Reservation(Base):
    __tablename__ = "reservations"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # One reservation per order: reserving again for it returns the same one.
    order_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(sa.Text)  # held | committed | released
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    __table_args__ = (
        sa.CheckConstraint("status IN ('held', 'committed', 'released')", name="status_known"),
    )


class ReservationLine(Base):
    __tablename__ = "reservation_lines"
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    quantity: Mapped[int]
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)


outbox = Outbox(outbox_table(Base.metadata), SERVICE)
processed = processed_table(Base.metadata)
