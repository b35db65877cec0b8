"""OpenTelemetry traces: a span per request (FastAPI instrumentation, W3C trace context taken
from and given to callers), exported over OTLP/HTTP(S) to Jaeger when an endpoint is set. The
resource's service.name is the service's one name (services/catalog.yml)."""

import requests
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from mach_service_kit.settings import ServiceSettings


def instrument(
    app: FastAPI, settings: ServiceSettings, exporter: SpanExporter | None = None
) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    if exporter is None and settings.otlp_endpoint:
        exporter = otlp_exporter(settings.otlp_endpoint, settings.otlp_ca_file)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="/healthz,/readyz,/metrics"
    )
    return provider


def otlp_exporter(endpoint: str, ca_file: str | None) -> OTLPSpanExporter:
    """OTLP/HTTP to `endpoint`; over https verified against `ca_file` when given. requests
    lets REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) in the environment replace a session's own
    CA, so with a CA file the session ignores the environment: the collector's CA is the one
    to trust, and no proxy stands between a service and its collector."""
    session = None
    if ca_file:
        session = requests.Session()
        session.trust_env = False
    return OTLPSpanExporter(
        endpoint=endpoint.rstrip("/") + "/v1/traces", certificate_file=ca_file, session=session
    )
