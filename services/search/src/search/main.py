"""The search app: `uvicorn --factory search.main:create_app`."""

from fastapi import FastAPI

from mach_service_kit import create_app as build
from search import SERVICE
from search.index import ProductIndex
from search.products.router import router as products
from search.settings import SearchSettings, get_settings

VERSION = "1.0.0"


def create_app(settings: SearchSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    index = ProductIndex(settings)
    app = build(
        settings,
        version=VERSION,
        routers=[products],
        description=f"{SERVICE}: faceted product search over the catalog's and inventory's events",
        resources=[index],
    )
    app.state.index = index
    return app
