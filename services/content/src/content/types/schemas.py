from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mach_service_kit.types import Bool, Text

KEY = r"^[a-z][a-z0-9-]{0,62}$"
FIELD = r"^[a-z][a-z0-9_]{0,63}$"
FieldType = Literal["text", "rich_text", "number", "boolean", "date", "reference"]


class FieldDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=FIELD)
    type: FieldType
    required: Bool = False
    # One value per locale, or one for all (held under the default locale).
    localized: Bool = True
    max_length: int | None = Field(default=None, ge=1, le=100_000)


class ContentTypeUpdate(BaseModel):
    """The whole new definition (PUT); only compatible changes once entries exist."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=200)
    fields: list[FieldDef] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")
        return self


class ContentTypeIn(ContentTypeUpdate):
    key: str = Field(pattern=KEY)


class ContentTypeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    name: str
    fields: list[FieldDef]
    version: int
    created_at: datetime
    updated_at: datetime


class ContentTypeList(BaseModel):
    items: list[ContentTypeOut]
