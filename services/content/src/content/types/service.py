import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from content import TOPIC
from content.models import ContentType, Entry, outbox
from content.types.schemas import ContentTypeIn, ContentTypeOut, ContentTypeUpdate
from mach_service_kit import ProblemError
from mach_service_kit.etag import require_match


async def get(*, db_session: AsyncSession, key: str) -> ContentType:
    found = await db_session.get(ContentType, key)
    if found is None:
        raise ProblemError(404, f"no content type {key!r}")
    return found


async def list_all(*, db_session: AsyncSession) -> list[ContentType]:
    query = sa.select(ContentType).order_by(ContentType.key)
    return list((await db_session.scalars(query)).all())


async def _event(db_session: AsyncSession, event_type: str, ctype: ContentType) -> None:
    await outbox.record(
        db_session,
        topic=TOPIC,
        event_type=event_type,
        key=ctype.key,
        data=ContentTypeOut.model_validate(ctype).model_dump(mode="json"),
    )


async def create(*, db_session: AsyncSession, data: ContentTypeIn) -> ContentType:
    if await db_session.get(ContentType, data.key) is not None:
        raise ProblemError(409, f"a content type {data.key!r} exists")
    ctype = ContentType(key=data.key, name=data.name, fields=[f.model_dump() for f in data.fields])
    db_session.add(ctype)
    await db_session.flush()
    await _event(db_session, "content.ContentTypeCreated", ctype)
    return ctype


def breaking(old: list[dict[str, object]], new: list[dict[str, object]]) -> list[str]:
    """Changes that would make existing entries invalid: a field removed or retyped, its
    localisation switched, made required, or its maximum length lowered."""
    by_name = {f["name"]: f for f in new}
    problems = []
    for field in old:
        name, now = field["name"], by_name.get(str(field["name"]))
        if now is None:
            problems.append(f"{name}: removed")
            continue
        for attribute in ("type", "localized"):
            if now[attribute] != field[attribute]:
                problems.append(f"{name}: {attribute} changed")
        if now["required"] and not field["required"]:
            problems.append(f"{name}: made required")
        old_max, new_max = field.get("max_length"), now.get("max_length")
        if new_max is not None and (old_max is None or int(str(new_max)) < int(str(old_max))):
            problems.append(f"{name}: max_length lowered")
    problems += [f"{f['name']}: added as required" for f in new
                 if f["required"] and f["name"] not in {o["name"] for o in old}]  # fmt: skip
    return problems


async def update(
    *, db_session: AsyncSession, key: str, data: ContentTypeUpdate, if_match: str | None
) -> ContentType:
    ctype = await get(db_session=db_session, key=key)
    require_match(if_match, ctype.version)
    fields = [f.model_dump() for f in data.fields]
    in_use = await db_session.scalar(sa.select(sa.func.count()).where(Entry.content_type == key))
    if in_use:
        problems = breaking(ctype.fields, fields)
        if problems:
            raise ProblemError(
                409,
                f"{in_use} entries use {key!r}; only compatible changes are allowed",
                problems=problems,
            )
    if ctype.name == data.name and ctype.fields == fields:
        return ctype
    ctype.name, ctype.fields = data.name, fields
    await db_session.flush()
    await _event(db_session, "content.ContentTypeUpdated", ctype)
    return ctype
