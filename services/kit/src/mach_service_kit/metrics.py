"""Prometheus metrics for every request, named as OpenTelemetry's HTTP server metric
(`http.server.request.duration` → `http_server_request_duration_seconds`, labels
`http_request_method`, `http_route`, `http_response_status_code`): the SLO rules generated
from services/catalog.yml (mach.platform catalog_slo_rules) read exactly this. Each app has
its own registry, served at /metrics."""

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from mach_service_kit.negotiation import ASGIApp, Message, Receive, Scope, Send

# The SLO's latency objective (0.2 s) is a bucket bound, so p95 against it is exact.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
UNTIMED = frozenset({"/metrics", "/healthz", "/readyz"})


class RequestMetrics:
    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            ["http_request_method", "http_route", "http_response_status_code"],
            buckets=BUCKETS,
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTIMED:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route: Any = scope.get("route")
            self.duration.labels(scope["method"], getattr(route, "path", ""), str(status)).observe(
                time.perf_counter() - start
            )


def endpoint(registry: CollectorRegistry) -> Any:
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
