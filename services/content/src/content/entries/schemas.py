import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from content.types.schemas import KEY

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Scalar = str | int | float | bool | None
# {locale: {field: value}}; each value is checked against the content type (entries/fields.py)
Values = dict[Locale, dict[FieldName, Scalar]]
Status = Literal["draft", "published", "changed"]


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: str = Field(pattern=KEY)
    slug: str = Field(min_length=1, max_length=200, pattern=SLUG)
    fields: Values = Field(default_factory=dict)


class EntryPatch(BaseModel):
    """Merge patch of the draft: per locale, values replace and null removes."""

    model_config = ConfigDict(extra="forbid")
    slug: str | None = Field(default=None, min_length=1, max_length=200, pattern=SLUG)
    fields: Values = Field(default_factory=dict)


class EntryOut(BaseModel):
    """The editor's view: the draft and the state of publication."""

    id: uuid.UUID
    content_type: str
    slug: str
    fields: dict[str, dict[str, Any]]
    status: Status
    version: int
    published_version: int | None
    published_at: datetime | None
    updated_at: datetime


class PublishedEntry(BaseModel):
    """The delivery view: the published snapshot in one locale (default-locale fallback)."""

    id: uuid.UUID
    content_type: str
    slug: str
    locale: str
    fields: dict[str, Any]
    published_version: int
    published_at: datetime


class EntryPage(BaseModel):
    items: list[EntryOut] | list[PublishedEntry]
    next: uuid.UUID | None


class EntryPublished(BaseModel):
    """content.EntryPublished: the snapshot in every locale."""

    id: uuid.UUID
    content_type: str
    slug: str
    fields: dict[str, dict[str, Any]]
    published_version: int
    published_at: datetime


class EntryWithdrawn(BaseModel):
    """content.EntryUnpublished and content.EntryDeleted."""

    id: uuid.UUID
    content_type: str
    slug: str
