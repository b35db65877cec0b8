"""Errors as RFC 9457 problem details (application/problem+json). Bad input is always a 4xx
with a problem body; an unexpected error is a 500 whose body says nothing about the cause (the
log, with the trace id, does)."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("mach_service_kit")


class ProblemError(Exception):
    """Raised by service code for an expected failure: a 404, a 409 on a duplicate, a 412 on
    a stale version."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extra = extra


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title or HTTPStatus(status).phrase}
    body["status"] = status
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The offending input is not echoed back (it may be large or carry a secret).
    return [
        {
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": err.get("msg"),
            "type": err.get("type"),
        }
        for err in exc.errors()
    ]


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem(exc.status, exc.detail, title=exc.title, headers=exc.headers, **exc.extra)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(exc.status_code, detail, headers=dict(exc.headers) if exc.headers else None)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem(422, "the request does not match the schema", errors=_validation_errors(exc))


# PostgreSQL's SQLSTATEs for the constraint violations a request can cause.
_UNIQUE_VIOLATION, _FOREIGN_KEY_VIOLATION = "23505", "23503"


async def _on_integrity(request: Request, exc: Exception) -> JSONResponse:
    """A constraint the service did not check first (a race between two writers, say): the
    transaction was rolled back, so nothing was half-written."""
    assert isinstance(exc, IntegrityError)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate == _FOREIGN_KEY_VIOLATION:
        return problem(422, "a referenced resource does not exist")
    return problem(409, "the request conflicts with the current state of the resource")


async def _on_data(request: Request, exc: Exception) -> JSONResponse:
    """A value the schema let through but the database cannot store (out of range, say)."""
    return problem(422, "a value in the request cannot be stored")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(DataError, _on_data)
    app.add_exception_handler(Exception, _on_unexpected)
