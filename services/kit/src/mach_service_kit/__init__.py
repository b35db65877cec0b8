"""The chassis every MACH service is built on (services/README.md): settings with placeholder
secrets refused outside dev, problem+json errors, JSON and XML by content negotiation, a body
size limit, /healthz and /readyz, Prometheus metrics named as OpenTelemetry's HTTP server
metric, JWT validation against Keycloak's JWKS, async database sessions, the transactional
outbox, JSON logs carrying trace ids and OpenTelemetry traces. A service is its domain
packages plus `create_app(...)` from here."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mach_service_kit.app import create_app
    from mach_service_kit.problems import ProblemError
    from mach_service_kit.settings import ServiceSettings, load_settings

__all__ = ["ProblemError", "ServiceSettings", "create_app", "load_settings"]
_HOMES = {
    "create_app": "app",
    "ProblemError": "problems",
    "ServiceSettings": "settings",
    "load_settings": "settings",
}


def __getattr__(name: str) -> Any:
    """Imported on first use: the kit's pytest plugin loads this package before coverage
    starts, so nothing else may be imported with it."""
    if name in _HOMES:
        return getattr(import_module(f"mach_service_kit.{_HOMES[name]}"), name)
    raise AttributeError(name)
