"""The customer app: `uvicorn --factory customer.main:create_app`."""

from fastapi import FastAPI

from customer import SERVICE
from customer.addresses.router import router as addresses
from customer.customers.router import router as customers
from customer.settings import CustomerSettings, get_settings
from mach_service_kit import create_app as build

VERSION = "1.0.0"


def create_app(settings: CustomerSettings | None = None) -> FastAPI:
    # The addresses' /me routes before /{customer_id}, so "me" is never read as an id.
    return build(
        settings or get_settings(),
        version=VERSION,
        routers=[addresses, customers],
        description=f"{SERVICE}: profiles and addresses; identity from Keycloak tokens",
    )
