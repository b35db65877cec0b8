"""The cart service's table (created by its Alembic migrations): customers' carts. Session
carts live in Redis (cart.store)."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mach_service_kit.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class CustomerCart(Base):
    __tablename__ = "carts"
    # A claimed session cart keeps its id.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The Keycloak token's `sub`: whose cart this is.
    owner: Mapped[str] = mapped_column(sa.Text, index=True)
    currency: Mapped[str] = mapped_column(sa.CHAR(3))
    # The lines as the API shows them (product, sku, name, quantity, unit price).
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    __table_args__ = (sa.CheckConstraint("version > 0", name="version_positive"),)
