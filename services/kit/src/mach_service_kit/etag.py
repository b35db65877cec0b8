"""Optimistic concurrency on the wire: a resource's ETag is its version; a change must send
it back in If-Match (428 without one, 412 when another change came first)."""

from fastapi import Response

from mach_service_kit.problems import ProblemError


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_match(if_match: str | None, version: int) -> None:
    """If-Match honoured when it is sent (412 when another change came first), not required:
    for resources one client changes (a cart)."""
    if if_match is None:
        return
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and etag(version) not in tags:
        raise ProblemError(
            412, f"the resource changed since it was read (now version {version})", version=version
        )


def require_match(if_match: str | None, version: int) -> None:
    if if_match is None:
        raise ProblemError(428, "send the resource's ETag in If-Match to change it")
    check_match(if_match, version)
