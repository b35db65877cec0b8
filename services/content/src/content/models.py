"""The content service's tables (created by its Alembic migrations)."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from content import SERVICE
from mach_service_kit.db import NAMING_CONVENTION, utcnow
from mach_service_kit.outbox import Outbox, outbox_table


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ContentType(Base):
    __tablename__ = "content_types"
    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    # [{name, type, required, localized, max_length}] (types/schemas.py: Field)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Entry(Base):
    __tablename__ = "entries"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    content_type: Mapped[str] = mapped_column(sa.ForeignKey("content_types.key"), index=True)
    slug: Mapped[str] = mapped_column(sa.Text)
    # {locale: {field: value}}: the working copy, and the snapshot the delivery API serves
    draft: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # SQL NULL when unpublished (not JSON null), so "published IS NULL" finds drafts.
    published: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    published_version: Mapped[int | None]
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    __table_args__ = (sa.UniqueConstraint("content_type", "slug"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


outbox = Outbox(outbox_table(Base.metadata), SERVICE)
