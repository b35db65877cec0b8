"""The order app: `uvicorn --factory order.main:create_app`."""

from fastapi import FastAPI

from mach_service_kit import create_app as build
from order import SERVICE
from order.orders.router import router as orders
from order.settings import OrderSettings, get_settings

VERSION = "1.0.0"


def create_app(settings: OrderSettings | None = None) -> FastAPI:
    return build(
        settings or get_settings(),
        version=VERSION,
        routers=[orders],
        description=f"{SERVICE}: event-sourced orders, a CQRS read model, the checkout saga",
    )
