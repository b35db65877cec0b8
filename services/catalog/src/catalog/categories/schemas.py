import uuid

from pydantic import BaseModel, ConfigDict, Field

from mach_service_kit.types import Text

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(min_length=1, max_length=64, pattern=SLUG)
    name: Text = Field(min_length=1, max_length=200)
    parent_id: uuid.UUID | None = None


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    slug: str
    name: str
    parent_id: uuid.UUID | None


class CategoryPage(BaseModel):
    items: list[CategoryOut]
