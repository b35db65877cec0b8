"""The kit's tests build a small app on the chassis (one router with a read, a guarded write and
a failing route) over a real PostgreSQL server."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from mach_service_kit import ProblemError, ServiceSettings, create_app
from mach_service_kit.auth import CallerDep, MaybeCallerDep, WriterDep
from mach_service_kit.db import SessionDep

router = APIRouter(prefix="/v1/things", tags=["things"])


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int = Field(strict=True)  # XML's text is typed by the schema first
    tags: list[str] = []
    note: str | None = None


@router.get("/{name}", response_model=Thing)
async def get_thing(name: str, db_session: SessionDep) -> Thing:
    size = await db_session.scalar(text("SELECT length(:n)"), {"n": name})
    if name == "missing":
        raise ProblemError(404, "no thing called missing", hint="try another")
    return Thing(name=name, size=size or 0)


@router.post("", status_code=201, response_model=Thing)
async def create_thing(thing: Thing, _: WriterDep) -> Thing:
    return thing


@router.get("/mine/whoami")
async def whoami(claims: CallerDep) -> dict[str, str]:
    return {"sub": claims["sub"]}


@router.get("/mine/maybe")
async def maybe(claims: MaybeCallerDep) -> dict[str, str | None]:
    return {"sub": claims["sub"] if claims else None}


@router.get("/boom/now")
async def boom() -> None:
    raise RuntimeError("secret internals")


@pytest.fixture(scope="session")
def settings(pg, issuer) -> ServiceSettings:
    return ServiceSettings(
        service_name="things",
        environment="test",
        database_url=pg.create_database("things"),
        jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer,
        write_role="things-editor",
        max_body_bytes=1024,
    )


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(scope="session")
def app(settings, spans):
    return create_app(settings, version="1.2.3", routers=[router], span_exporter=spans)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://things") as c:
        yield c
