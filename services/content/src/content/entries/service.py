import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from content import TOPIC
from content.entries import fields
from content.entries.schemas import (
    EntryIn,
    EntryOut,
    EntryPatch,
    EntryPublished,
    EntryWithdrawn,
    PublishedEntry,
)
from content.models import ContentType, Entry, outbox
from content.settings import ContentSettings
from mach_service_kit import ProblemError
from mach_service_kit.db import keyset_page
from mach_service_kit.etag import require_match


def status(entry: Entry) -> str:
    if entry.published is None:
        return "draft"
    return "published" if entry.published == entry.draft else "changed"


def editor_view(entry: Entry) -> EntryOut:
    return EntryOut(
        id=entry.id, content_type=entry.content_type, slug=entry.slug, fields=entry.draft,
        status=status(entry), version=entry.version,  # type: ignore[arg-type]
        published_version=entry.published_version, published_at=entry.published_at,
        updated_at=entry.updated_at,
    )  # fmt: skip


def delivery_view(entry: Entry, ctype: ContentType, locale: str, default: str) -> PublishedEntry:
    assert entry.published is not None
    assert entry.published_version is not None and entry.published_at is not None
    return PublishedEntry(
        id=entry.id, content_type=entry.content_type, slug=entry.slug, locale=locale,
        fields=fields.resolve(ctype.fields, entry.published, locale, default),
        published_version=entry.published_version, published_at=entry.published_at,
    )  # fmt: skip


async def _content_type(db_session: AsyncSession, key: str) -> ContentType:
    ctype = await db_session.get(ContentType, key)
    if ctype is None:
        raise ProblemError(422, f"no content type {key!r}")
    return ctype


async def _checked(
    db_session: AsyncSession, ctype: ContentType, values: dict[str, Any], settings: ContentSettings
) -> dict[str, Any]:
    cleaned, problems = fields.check(ctype.fields, values, settings.locales)
    refs = fields.references(ctype.fields, cleaned)
    if refs:
        ids = [uuid.UUID(r) for r in refs]
        found = set((await db_session.scalars(sa.select(Entry.id).where(Entry.id.in_(ids)))).all())
        problems += [
            f"reference {r}: no such entry" for r in sorted(refs) if uuid.UUID(r) not in found
        ]
    if problems:
        raise ProblemError(422, "the fields do not match the content type", problems=problems)
    return cleaned


async def get(*, db_session: AsyncSession, entry_id: uuid.UUID) -> Entry:
    entry = await db_session.get(Entry, entry_id)
    if entry is None:
        raise ProblemError(404, f"no entry {entry_id}")
    return entry


async def _to_change(db_session: AsyncSession, entry_id: uuid.UUID, if_match: str | None) -> Entry:
    """The entry, if the caller changes the version it read (If-Match)."""
    entry = await get(db_session=db_session, entry_id=entry_id)
    require_match(if_match, entry.version)
    return entry


async def get_published(
    *, db_session: AsyncSession, entry_id: uuid.UUID, locale: str, settings: ContentSettings
) -> PublishedEntry:
    entry = await get(db_session=db_session, entry_id=entry_id)
    if entry.published is None:
        raise ProblemError(404, f"no entry {entry_id}")  # drafts do not exist for readers
    _locale(locale, settings)
    ctype = await _content_type(db_session, entry.content_type)
    return delivery_view(entry, ctype, locale, settings.default_locale)


def _locale(locale: str, settings: ContentSettings) -> None:
    if locale not in settings.locales:
        raise ProblemError(422, f"locale {locale!r} is not one of {', '.join(settings.locales)}")


async def page(
    *,
    db_session: AsyncSession,
    content_type: str | None,
    after: uuid.UUID | None,
    limit: int,
    published_only: bool,
) -> tuple[list[Entry], uuid.UUID | None]:
    query = sa.select(Entry)
    if content_type:
        query = query.where(Entry.content_type == content_type)
    if published_only:
        query = query.where(Entry.published.is_not(None))
    return await keyset_page(db_session, query, Entry.id, after, limit)


async def create(*, db_session: AsyncSession, data: EntryIn, settings: ContentSettings) -> Entry:
    ctype = await _content_type(db_session, data.content_type)
    taken = sa.select(Entry.id).where(Entry.content_type == ctype.key, Entry.slug == data.slug)
    if await db_session.scalar(taken):
        raise ProblemError(409, f"a {ctype.key} entry with slug {data.slug!r} exists")
    cleaned = await _checked(db_session, ctype, data.fields, settings)
    entry = Entry(
        id=uuid.uuid4(), content_type=ctype.key, slug=data.slug,
        draft=fields.merge({}, cleaned), published=None,
    )  # fmt: skip
    db_session.add(entry)
    await db_session.flush()
    return entry


async def _flush(db_session: AsyncSession) -> None:
    try:
        await db_session.flush()  # the version column catches a writer that came in between
    except StaleDataError as exc:
        raise ProblemError(412, "the entry changed since it was read") from exc


async def update(
    *,
    db_session: AsyncSession,
    entry_id: uuid.UUID,
    patch: EntryPatch,
    if_match: str | None,
    settings: ContentSettings,
) -> Entry:
    entry = await _to_change(db_session, entry_id, if_match)
    ctype = await _content_type(db_session, entry.content_type)
    cleaned = await _checked(db_session, ctype, patch.fields, settings)
    if patch.slug and patch.slug != entry.slug:
        taken = sa.select(Entry.id).where(Entry.content_type == ctype.key, Entry.slug == patch.slug)
        if await db_session.scalar(taken):
            raise ProblemError(409, f"a {ctype.key} entry with slug {patch.slug!r} exists")
        entry.slug = patch.slug
    entry.draft = fields.merge(entry.draft, cleaned)
    await _flush(db_session)
    return entry


async def publish(
    *,
    db_session: AsyncSession,
    entry_id: uuid.UUID,
    if_match: str | None,
    settings: ContentSettings,
) -> Entry:
    entry = await _to_change(db_session, entry_id, if_match)
    ctype = await _content_type(db_session, entry.content_type)
    problems = fields.missing(ctype.fields, entry.draft, settings.default_locale)
    if problems:
        raise ProblemError(422, "the entry is not complete", problems=problems)
    if entry.published == entry.draft:
        return entry  # nothing new to publish
    entry.published = entry.draft
    entry.published_version = entry.version + 1
    entry.published_at = datetime.now(UTC)
    await _flush(db_session)
    event = EntryPublished(
        id=entry.id, content_type=entry.content_type, slug=entry.slug, fields=entry.draft,
        published_version=entry.version, published_at=entry.published_at,
    )  # fmt: skip
    await outbox.record(
        db_session, topic=TOPIC, event_type="content.EntryPublished", key=str(entry.id),
        data=event.model_dump(mode="json"),
    )  # fmt: skip
    return entry


async def _withdrawn(db_session: AsyncSession, event_type: str, entry: Entry) -> None:
    data = EntryWithdrawn(id=entry.id, content_type=entry.content_type, slug=entry.slug)
    await outbox.record(
        db_session, topic=TOPIC, event_type=event_type, key=str(entry.id),
        data=data.model_dump(mode="json"),
    )  # fmt: skip


async def unpublish(
    *, db_session: AsyncSession, entry_id: uuid.UUID, if_match: str | None
) -> Entry:
    entry = await _to_change(db_session, entry_id, if_match)
    if entry.published is None:
        raise ProblemError(409, "the entry is not published")
    entry.published, entry.published_version, entry.published_at = None, None, None
    await _flush(db_session)
    await _withdrawn(db_session, "content.EntryUnpublished", entry)
    return entry


async def delete(*, db_session: AsyncSession, entry_id: uuid.UUID, if_match: str | None) -> None:
    entry = await _to_change(db_session, entry_id, if_match)
    if entry.published is not None:
        await _withdrawn(db_session, "content.EntryDeleted", entry)
    await db_session.delete(entry)
    await db_session.flush()
