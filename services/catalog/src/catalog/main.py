"""The catalog app: `uvicorn --factory catalog.main:create_app`."""

from fastapi import FastAPI

from catalog import SERVICE
from catalog.categories.router import router as categories
from catalog.prices.router import router as prices
from catalog.products.router import router as products
from catalog.settings import CatalogSettings, get_settings
from mach_service_kit import create_app as build

VERSION = "1.0.0"


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return build(
        settings or get_settings(),
        version=VERSION,
        routers=[categories, products, prices],
        description=f"{SERVICE}: products, categories and prices (services/catalog.yml)",
    )
