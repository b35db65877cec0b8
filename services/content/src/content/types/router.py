from typing import Annotated

from fastapi import APIRouter, Header, Path, Response, status

from content.deps import SessionDep, WriterDep
from content.types import service
from content.types.schemas import (
    KEY,
    ContentTypeIn,
    ContentTypeList,
    ContentTypeOut,
    ContentTypeUpdate,
)
from mach_service_kit.etag import set_etag

router = APIRouter(prefix="/v1/content-types", tags=["content types"])
Key = Annotated[str, Path(pattern=KEY)]


@router.get("", response_model=ContentTypeList)
async def list_content_types(db_session: SessionDep) -> ContentTypeList:
    items = await service.list_all(db_session=db_session)
    return ContentTypeList(items=[ContentTypeOut.model_validate(t) for t in items])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ContentTypeOut)
async def create_content_type(
    data: ContentTypeIn, db_session: SessionDep, _: WriterDep, response: Response
) -> ContentTypeOut:
    ctype = await service.create(db_session=db_session, data=data)
    response.headers["Location"] = f"/v1/content-types/{ctype.key}"
    set_etag(response, ctype.version)
    return ContentTypeOut.model_validate(ctype)


@router.get("/{key}", response_model=ContentTypeOut)
async def get_content_type(key: Key, db_session: SessionDep, response: Response) -> ContentTypeOut:
    ctype = await service.get(db_session=db_session, key=key)
    set_etag(response, ctype.version)
    return ContentTypeOut.model_validate(ctype)


@router.put("/{key}", response_model=ContentTypeOut)
async def update_content_type(
    key: Key,
    data: ContentTypeUpdate,
    db_session: SessionDep,
    _: WriterDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ContentTypeOut:
    ctype = await service.update(db_session=db_session, key=key, data=data, if_match=if_match)
    set_etag(response, ctype.version)
    return ContentTypeOut.model_validate(ctype)
