"""Content negotiation and the body size limit, as one ASGI middleware in front of the app:

- a request body over `max_body_bytes` is refused with 413 before the app reads it;
- a body must be JSON or XML (415 otherwise); an XML body is turned into the same JSON
  document before validation, its text typed by the operation's body schema, so every route
  takes both;
- `Accept` picks JSON or XML for the response (406 if neither is acceptable); JSON responses,
  problem details included, are rendered as XML when XML is preferred.
"""

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mach_service_kit import xml

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON, XML, PROBLEM_JSON, PROBLEM_XML = (
    "application/json",
    "application/xml",
    "application/problem+json",
    "application/problem+xml",
)
_JSON_TYPES = {JSON, PROBLEM_JSON}
_XML_TYPES = {XML, "text/xml"}


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


_ACCEPTS = {
    "*/*": JSON, "application/*": JSON, JSON: JSON, PROBLEM_JSON: JSON,
    XML: XML, "text/xml": XML, PROBLEM_XML: XML,
}  # fmt: skip


def preferred(accept: str | None) -> str | None:
    """JSON or XML, whichever `accept` prefers: the highest q, then the more specific range,
    then the earlier entry; JSON without a header; None if neither is acceptable."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int] | None = None
    choice = None
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media, q = fields[0].lower(), 1.0
        for param in fields[1:]:
            if param.replace(" ", "").startswith("q="):
                try:
                    q = float(param.split("=", 1)[1])
                except ValueError:
                    q = 0.0
        chosen = _ACCEPTS.get(media)
        if chosen is None or q <= 0:
            continue
        key = (q, 0 if "*" in media else 1)
        if best is None or key > best:
            best, choice = key, chosen
    return choice


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _problem(status: int, title: str, detail: str, as_xml: bool) -> tuple[bytes, str]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if as_xml:
        return xml.dumps(body, "problem"), PROBLEM_XML
    return json.dumps(body).encode(), PROBLEM_JSON


class Negotiation:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.operations: list[tuple[re.Pattern[str], str, dict[str, Any]]] | None = None

    def body_schema(self, scope: Scope) -> dict[str, Any]:
        """The JSON Schema the app's OpenAPI document gives the matched operation's JSON
        request body, with the document's component schemas as its `$defs` ({} if none)."""
        if self.operations is None:
            openapi = scope["app"].openapi() if hasattr(scope.get("app"), "openapi") else {}
            defs = openapi.get("components", {}).get("schemas", {})
            self.operations = []
            for template, methods in openapi.get("paths", {}).items():
                parts = re.split(r"\{[^/}]+\}", template)
                pattern = re.compile("^" + "[^/]+".join(map(re.escape, parts)) + "$")
                for method, operation in methods.items():
                    content = operation.get("requestBody", {}).get("content", {})
                    schema = content.get(JSON, {}).get("schema")
                    if schema is not None:
                        self.operations.append((pattern, method.upper(), {**schema, "$defs": defs}))
            # A literal segment wins over a parameter (/v1/customers/me before /{id}).
            self.operations.sort(key=lambda op: op[0].pattern.count("[^/]+"))
        for pattern, method, schema in self.operations:
            if method == scope["method"] and pattern.match(scope["path"]):
                return schema
        return {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # /metrics speaks the Prometheus text formats, whatever a scraper's Accept says.
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        wanted = preferred(_header(scope, b"accept"))
        as_xml = wanted == XML

        async def refuse(status: int, title: str, detail: str) -> None:
            body, media = _problem(status, title, detail, as_xml)
            headers = [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        if wanted is None:
            await refuse(
                406, "Not Acceptable", "this API answers in application/json or application/xml"
            )
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await refuse(413, "Content Too Large", f"the body exceeds {self.max_body_bytes} bytes")
            return

        # The whole body is read here (it is bounded), so a chunked upload is held to the
        # same limit and an XML body can be converted before the app sees it.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await refuse(
                    413, "Content Too Large", f"the body exceeds {self.max_body_bytes} bytes"
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        if body:
            ctype = _media_type(_header(scope, b"content-type") or "")
            if ctype in _XML_TYPES:
                try:
                    document = xml.typed(xml.loads(body), self.body_schema(scope))
                    body = json.dumps(document).encode()
                except xml.XMLBodyError as exc:
                    await refuse(400, "Bad Request", str(exc))
                    return
                # In place: the metrics middleware outside reads the matched route from it.
                scope["headers"] = [
                    (k, v)
                    for k, v in scope["headers"]
                    if k.lower() not in (b"content-type", b"content-length")
                ] + [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
            elif ctype not in _JSON_TYPES and not ctype.endswith("+json"):
                await refuse(
                    415,
                    "Unsupported Media Type",
                    "send the body as application/json or application/xml",
                )
                return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if not as_xml:
            await self.app(scope, replay, send)
            return
        await self.app(scope, replay, _XMLResponder(send))


class _XMLResponder:
    """Holds a JSON response's body and sends it as XML; anything else passes through."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.parts: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            ctype = _media_type(dict(message.get("headers", [])).get(b"content-type", b"").decode())
            if ctype in _JSON_TYPES:
                self.start = message
                return
            await self.send(message)
            return
        if self.start is None:
            await self.send(message)
            return
        self.parts.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        raw = b"".join(self.parts)
        headers = self.start.get("headers", [])
        ctype = next(v for k, v in headers if k.lower() == b"content-type")
        is_problem = _media_type(ctype.decode()) == PROBLEM_JSON
        body = xml.dumps(json.loads(raw), "problem" if is_problem else "response") if raw else b""
        kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length")]
        kept += [
            (b"content-type", (PROBLEM_XML if is_problem else XML).encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await self.send({**self.start, "headers": kept})
        await self.send({"type": "http.response.body", "body": body})
