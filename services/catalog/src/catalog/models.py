"""The catalog's tables (created by its Alembic migrations, src/catalog/migrations)."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from catalog import SERVICE
from mach_service_kit.db import NAMING_CONVENTION, utcnow
from mach_service_kit.outbox import Outbox, outbox_table


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("categories.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Product(Base):
    __tablename__ = "products"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sku: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Price(Base):
    __tablename__ = "prices"
    product_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(sa.CHAR(3), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    __table_args__ = (sa.CheckConstraint("amount >= 0", name="amount_not_negative"),)


outbox = Outbox(outbox_table(Base.metadata), SERVICE)
