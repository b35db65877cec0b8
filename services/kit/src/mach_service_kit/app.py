"""`create_app`: a service's routers on the chassis. Every app gets the same operational
surface (/healthz, /readyz, /metrics), the same error format, the same negotiation, the same
auth and the same telemetry, so that adding a service is its domain code and one catalogue
entry."""

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict

from mach_service_kit import logs, metrics, problems, tracing
from mach_service_kit.auth import TokenVerifier
from mach_service_kit.db import Database
from mach_service_kit.negotiation import Negotiation
from mach_service_kit.settings import ServiceSettings

READINESS_TIMEOUT_S = 2.0


class Resource(Protocol):
    """Something the app depends on besides its database (a Redis, say): /readyz asks it,
    shutdown closes it."""

    name: str

    async def ready(self) -> None: ...

    async def close(self) -> None: ...


class Problem(BaseModel):
    """RFC 9457 problem details (also rendered as application/problem+xml)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


class Status(BaseModel):
    status: str


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "default": {
        "model": Problem,
        "description": "a problem (RFC 9457)",
        "content": {"application/problem+json": {}},
    }
}


def _with_xml(openapi: dict[str, Any]) -> dict[str, Any]:
    """Every JSON body, request or response, is also offered as XML (kit/xml.py)."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
            for body in bodies:
                content = body.get("content", {})
                for json_type, xml_type in (
                    ("application/json", "application/xml"),
                    ("application/problem+json", "application/problem+xml"),
                ):
                    if json_type in content:
                        content[xml_type] = copy.deepcopy(content[json_type])
    return openapi


def create_app(
    settings: ServiceSettings,
    *,
    version: str,
    routers: Sequence[APIRouter],
    description: str = "",
    span_exporter: SpanExporter | None = None,
    resources: Sequence[Resource] = (),
) -> FastAPI:
    logs.configure(settings.service_name, settings.log_level)
    database = Database(settings)
    depends_on: list[Resource] = [database, *resources]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for resource in depends_on:
            await resource.close()
        provider.shutdown()

    app = FastAPI(
        title=settings.service_name,
        version=version,
        description=description,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.verifier = (
        TokenVerifier(settings.jwt_jwks_url, settings.jwt_issuer, settings.jwt_audience)
        if settings.jwt_jwks_url and settings.jwt_issuer
        else None
    )
    problems.install(app)

    @app.get("/healthz", tags=["operations"], response_model=Status)
    async def healthz() -> Status:
        """Liveness: the process answers."""
        return Status(status="ok")

    @app.get("/readyz", tags=["operations"], response_model=Status)
    async def readyz() -> Status:
        """Readiness: the database (and every other resource the service depends on)
        answers within two seconds."""
        for resource in depends_on:
            try:
                await asyncio.wait_for(resource.ready(), READINESS_TIMEOUT_S)
            except Exception as exc:
                raise problems.ProblemError(503, f"the {resource.name} does not answer") from exc
        return Status(status="ready")

    for router in routers:
        app.include_router(router)

    registry = CollectorRegistry()
    app.add_route("/metrics", metrics.endpoint(registry), include_in_schema=False)
    app.add_middleware(Negotiation, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(metrics.RequestMetrics, registry=registry)
    provider = tracing.instrument(app, settings, span_exporter)
    app.state.tracer_provider = provider

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_xml(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
