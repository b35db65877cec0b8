"""The content app: `uvicorn --factory content.main:create_app`."""

from fastapi import FastAPI

from content import SERVICE
from content.entries.router import router as entries
from content.settings import ContentSettings, get_settings
from content.types.router import router as content_types
from mach_service_kit import create_app as build

VERSION = "1.0.0"


def create_app(settings: ContentSettings | None = None) -> FastAPI:
    return build(
        settings or get_settings(),
        version=VERSION,
        routers=[content_types, entries],
        description=f"{SERVICE}: a headless CMS (content types, entries, locales, drafts)",
    )
