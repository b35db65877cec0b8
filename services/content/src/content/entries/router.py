import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status

from content.deps import SessionDep, WriterDep
from content.entries import service
from content.entries.schemas import EntryIn, EntryOut, EntryPage, EntryPatch, PublishedEntry
from content.settings import ContentSettings
from content.types.schemas import KEY
from mach_service_kit.auth import writer
from mach_service_kit.etag import set_etag

router = APIRouter(prefix="/v1/entries", tags=["entries"])
IfMatch = Annotated[str | None, Header(description="the ETag of the version being changed")]
View = Annotated[
    Literal["published", "draft"],
    Query(description="published: the delivery API (open); draft: the editor's view (a token)"),
]
LocaleQuery = Annotated[str | None, Query(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]


def _settings(request: Request) -> ContentSettings:
    settings: ContentSettings = request.app.state.settings
    return settings


def _editor(response: Response, entry: object) -> EntryOut:
    view = service.editor_view(entry)  # type: ignore[arg-type]
    set_etag(response, view.version)
    return view


@router.get("", response_model=EntryPage)
async def list_entries(
    request: Request,
    db_session: SessionDep,
    content_type: Annotated[str | None, Query(pattern=KEY)] = None,
    locale: LocaleQuery = None,
    view: View = "published",
    after: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> EntryPage:
    settings = _settings(request)
    if view == "draft":
        await writer(request)
    items, following = await service.page(
        db_session=db_session, content_type=content_type, after=after, limit=limit,
        published_only=view == "published",
    )  # fmt: skip
    if view == "draft":
        return EntryPage(items=[service.editor_view(e) for e in items], next=following)
    published = [
        await service.get_published(
            db_session=db_session,
            entry_id=e.id,
            locale=locale or settings.default_locale,
            settings=settings,
        )
        for e in items
    ]
    return EntryPage(items=published, next=following)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EntryOut)
async def create_entry(
    data: EntryIn, request: Request, db_session: SessionDep, _: WriterDep, response: Response
) -> EntryOut:
    entry = await service.create(db_session=db_session, data=data, settings=_settings(request))
    response.headers["Location"] = f"/v1/entries/{entry.id}"
    return _editor(response, entry)


@router.get("/{entry_id}", response_model=EntryOut | PublishedEntry)
async def get_entry(
    entry_id: uuid.UUID,
    request: Request,
    db_session: SessionDep,
    response: Response,
    locale: LocaleQuery = None,
    view: View = "published",
) -> EntryOut | PublishedEntry:
    settings = _settings(request)
    if view == "draft":
        await writer(request)
        return _editor(response, await service.get(db_session=db_session, entry_id=entry_id))
    return await service.get_published(
        db_session=db_session, entry_id=entry_id, locale=locale or settings.default_locale,
        settings=settings,
    )  # fmt: skip


@router.patch("/{entry_id}", response_model=EntryOut)
async def update_entry(
    entry_id: uuid.UUID, patch: EntryPatch, request: Request, db_session: SessionDep,
    _: WriterDep, response: Response, if_match: IfMatch = None,
) -> EntryOut:  # fmt: skip
    entry = await service.update(
        db_session=db_session, entry_id=entry_id, patch=patch, if_match=if_match,
        settings=_settings(request),
    )  # fmt: skip
    return _editor(response, entry)


@router.post("/{entry_id}/publish", response_model=EntryOut)
async def publish_entry(
    entry_id: uuid.UUID, request: Request, db_session: SessionDep, _: WriterDep,
    response: Response, if_match: IfMatch = None,
) -> EntryOut:  # fmt: skip
    entry = await service.publish(
        db_session=db_session, entry_id=entry_id, if_match=if_match, settings=_settings(request)
    )
    return _editor(response, entry)


@router.post("/{entry_id}/unpublish", response_model=EntryOut)
async def unpublish_entry(
    entry_id: uuid.UUID, db_session: SessionDep, _: WriterDep, response: Response,
    if_match: IfMatch = None,
) -> EntryOut:  # fmt: skip
    entry = await service.unpublish(db_session=db_session, entry_id=entry_id, if_match=if_match)
    return _editor(response, entry)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_entry(
    entry_id: uuid.UUID, db_session: SessionDep, _: WriterDep, if_match: IfMatch = None
) -> None:
    await service.delete(db_session=db_session, entry_id=entry_id, if_match=if_match)
