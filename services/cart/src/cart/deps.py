"""The dependencies routes declare, named once (STYLE 14)."""

from typing import Annotated

from fastapi import Depends, Request

from cart.catalog import Catalog
from cart.settings import CartSettings
from cart.store import SessionCarts
from mach_service_kit.auth import CallerDep, MaybeCallerDep
from mach_service_kit.db import SessionDep


def _carts(request: Request) -> SessionCarts:
    carts: SessionCarts = request.app.state.session_carts
    return carts


def _catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


def _settings(request: Request) -> CartSettings:
    settings: CartSettings = request.app.state.settings
    return settings


SessionCartsDep = Annotated[SessionCarts, Depends(_carts)]
CatalogDep = Annotated[Catalog, Depends(_catalog)]
SettingsDep = Annotated[CartSettings, Depends(_settings)]

__all__ = ["CallerDep", "CatalogDep", "MaybeCallerDep", "SessionCartsDep", "SessionDep",
           "SettingsDep"]  # fmt: skip
