"""The inventory app: `uvicorn --factory inventory.main:create_app`."""

from fastapi import FastAPI

from inventory import SERVICE
from inventory.reservations.router import router as reservations
from inventory.settings import InventorySettings, get_settings
from inventory.stock.router import router as stock
from mach_service_kit import create_app as build

VERSION = "1.0.0"


def create_app(settings: InventorySettings | None = None) -> FastAPI:
    return build(
        settings or get_settings(),
        version=VERSION,
        routers=[stock, reservations],
        description=f"{SERVICE}: stock per location and reservations",
    )
