"""The cart app: `uvicorn --factory cart.main:create_app`."""

from fastapi import FastAPI

from cart import SERVICE
from cart.carts.router import router as carts
from cart.catalog import Catalog
from cart.settings import CartSettings, get_settings
from cart.store import SessionCarts
from mach_service_kit import create_app as build

VERSION = "1.0.0"


def create_app(settings: CartSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    session_carts = SessionCarts(settings)
    catalog = Catalog(settings.catalog_url, settings.catalog_timeout_s)
    app = build(
        settings,
        version=VERSION,
        routers=[carts],
        description=f"{SERVICE}: shopping carts (sessions in Redis, customers' in PostgreSQL)",
        resources=[session_carts, catalog],
    )
    app.state.session_carts = session_carts
    app.state.catalog = catalog
    return app
