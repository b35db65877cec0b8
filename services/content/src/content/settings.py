from functools import lru_cache
from typing import Self

from pydantic import Field, model_validator

from content import SERVICE
from mach_service_kit import ServiceSettings, load_settings


class ContentSettings(ServiceSettings):
    service_name: str = SERVICE
    write_role: str | None = "content-editor"
    # The locales entries may carry; the first is the default (required fields, fallback).
    locales: list[str] = Field(default_factory=lambda: ["en", "de", "fr"])

    @model_validator(mode="after")
    def _locales(self) -> Self:
        if not self.locales or len(set(self.locales)) != len(self.locales):
            raise ValueError("locales: at least one, no duplicates")
        return self

    @property
    def default_locale(self) -> str:
        return self.locales[0]


@lru_cache
def get_settings() -> ContentSettings:
    return load_settings(ContentSettings)
