"""The customer service's tables (created by its Alembic migrations)."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mach_service_kit.db import NAMING_CONVENTION, utcnow


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The Keycloak token's `sub`: who this customer is.
    subject: Mapped[str] = mapped_column(sa.Text, unique=True)
    email: Mapped[str] = mapped_column(sa.Text, index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.Text)
    marketing_opt_in: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.Text)
    recipient: Mapped[str] = mapped_column(sa.Text)
    line1: Mapped[str] = mapped_column(sa.Text)
    line2: Mapped[str] = mapped_column(sa.Text, default="")
    postal_code: Mapped[str] = mapped_column(sa.Text)
    city: Mapped[str] = mapped_column(sa.Text)
    country: Mapped[str] = mapped_column(sa.CHAR(2))
    default_shipping: Mapped[bool] = mapped_column(default=False)
    default_billing: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # At most one default of each kind per customer, whatever two requests race.
    __table_args__ = (
        sa.Index("addresses_one_default_shipping", "customer_id", unique=True,
                 postgresql_where=sa.text("default_shipping")),
        sa.Index("addresses_one_default_billing", "customer_id", unique=True,
                 postgresql_where=sa.text("default_billing")),
    )  # fmt: skip
