"""OpenTelemetry traces: a span per request (FastAPI instrumentation, W3C trace context taken
from and given to callers), exported over OTLP/HTTP to Jaeger when an endpoint is set. The
resource's service.name is the service's one name (services/catalog.yml)."""

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
        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="/healthz,/readyz,/metrics"
    )
    return provider
