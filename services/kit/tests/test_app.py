import json
import logging
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from conftest import router
from mach_service_kit import ServiceSettings, create_app, load_settings
from mach_service_kit.logs import JSONFormatter

THING = {"name": "kettle", "size": 3, "tags": ["steel"]}


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_readiness_fails_when_the_database_does_not_answer(pg, issuer):
    settings = ServiceSettings(
        service_name="things", environment="test",
        database_url=f"postgresql+asyncpg://nobody:x@127.0.0.1:{pg.port}/nothing",
    )  # fmt: skip
    app = create_app(settings, version="1", routers=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/readyz")
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "the database does not answer"


class Flaky:
    """A resource besides the database (a Redis, say) that stops answering."""

    name = "cache"

    def __init__(self) -> None:
        self.up, self.closed = True, False

    async def ready(self) -> None:
        if not self.up:
            raise ConnectionError("down")

    async def close(self) -> None:
        self.closed = True


async def test_readiness_asks_every_resource_and_shutdown_closes_them(settings):
    cache = Flaky()
    app = create_app(settings, version="1", routers=[], resources=[cache])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        assert (await c.get("/readyz")).status_code == 200
        cache.up = False
        r = await c.get("/readyz")
    assert r.status_code == 503 and r.json()["detail"] == "the cache does not answer"
    assert cache.closed


async def test_a_token_is_optional_where_anonymous_callers_are_served(client, issuer):
    assert (await client.get("/v1/things/mine/maybe")).json() == {"sub": None}
    ann = {"Authorization": f"Bearer {issuer.token(sub='ann')}"}
    assert (await client.get("/v1/things/mine/maybe", headers=ann)).json() == {"sub": "ann"}
    # A token that is sent must be valid: no silent downgrade to anonymous.
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await client.get("/v1/things/mine/maybe", headers=bad)).status_code == 401


async def test_reads_use_the_database(client):
    r = await client.get("/v1/things/kettle")
    assert r.json() == {"name": "kettle", "size": 6, "tags": [], "note": None}


async def test_problems_carry_their_extra_members(client):
    r = await client.get("/v1/things/missing")
    assert r.status_code == 404
    assert r.json() == {
        "type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "no thing called missing", "hint": "try another",
    }  # fmt: skip


async def test_an_unexpected_error_is_a_bare_500_and_logged(client, caplog):
    with caplog.at_level(logging.ERROR):
        r = await client.get("/v1/things/boom/now")
    assert r.status_code == 500
    assert r.json() == {"type": "about:blank", "title": "Internal Server Error", "status": 500}
    assert "secret internals" not in r.text
    assert any("unhandled error" in rec.message for rec in caplog.records)


async def test_writes_need_a_valid_token_with_the_role(client, issuer):
    r = await client.post("/v1/things", json=THING)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    basic = await client.post("/v1/things", json=THING, headers={"Authorization": "Basic eA=="})
    assert basic.status_code == 401
    for token in [
        issuer.token(roles=["other"]),
        issuer.token(roles=["things-editor"], iss="https://elsewhere/realms/mach"),
        issuer.token(roles=["things-editor"], lifetime=-120),
        issuer.token(roles=["things-editor"])[:-4] + "AAAA",
        "not-a-jwt",
    ]:
        r = await client.post(
            "/v1/things", json=THING, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code in (401, 403), r.text
        assert r.headers["content-type"] == "application/problem+json"
    ok = await client.post(
        "/v1/things",
        json=THING,
        headers={"Authorization": f"Bearer {issuer.token(roles=['things-editor'])}"},
    )
    assert ok.status_code == 201


async def test_own_data_needs_a_token_with_a_subject(client, issuer, pg):
    ann = {"Authorization": f"Bearer {issuer.token(sub='ann')}"}
    ok = await client.get("/v1/things/mine/whoami", headers=ann)
    assert ok.json() == {"sub": "ann"}
    assert (await client.get("/v1/things/mine/whoami")).status_code == 401
    anonymous = issuer.token(sub="")
    r = await client.get("/v1/things/mine/whoami", headers={"Authorization": f"Bearer {anonymous}"})
    assert r.status_code == 401
    settings = ServiceSettings(service_name="things", environment="dev",
                               database_url=pg.create_database("no_idp"))  # fmt: skip
    app = create_app(settings, version="1", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/v1/things/mine/whoami")
    assert r.status_code == 401 and "identity provider" in r.json()["detail"]


async def test_client_roles_for_the_audience_count(pg, issuer):
    settings = ServiceSettings(
        service_name="things", environment="test", database_url=pg.create_database("aud"),
        jwt_jwks_url=issuer.jwks_url, jwt_issuer=issuer.issuer, jwt_audience="things",
        write_role="editor",
    )  # fmt: skip
    app = create_app(settings, version="1", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        good = issuer.token(aud="things", resource_access={"things": {"roles": ["editor"]}})
        wrong_aud = issuer.token(aud="other", resource_access={"other": {"roles": ["editor"]}})
        r = await c.post("/v1/things", json=THING, headers={"Authorization": f"Bearer {good}"})
        assert r.status_code == 201
        r = await c.post("/v1/things", json=THING, headers={"Authorization": f"Bearer {wrong_aud}"})
        assert r.status_code == 401


async def test_an_unreachable_identity_provider_is_a_503(pg, issuer):
    settings = ServiceSettings(
        service_name="things", environment="test", database_url=pg.create_database("idp"),
        jwt_jwks_url="http://127.0.0.1:9/realms/mach/protocol/openid-connect/certs",
        jwt_issuer=issuer.issuer,
    )  # fmt: skip
    app = create_app(settings, version="1", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post(
            "/v1/things", json=THING, headers={"Authorization": f"Bearer {issuer.token()}"}
        )
    assert r.status_code == 503


@pytest.fixture
def writer(issuer):
    return {"Authorization": f"Bearer {issuer.token(roles=['things-editor'])}"}


async def test_xml_in_and_out(client, writer):
    body = (
        b'<thing><name>pot</name><size>2</size><tags type="list"><item>clay</item></tags></thing>'
    )
    r = await client.post(
        "/v1/things",
        content=body,
        headers={**writer, "Content-Type": "application/xml", "Accept": "application/xml"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/xml"
    assert r.text.endswith(
        '<response><name>pot</name><size>2</size><tags type="list"><item>clay</item></tags>'
        '<note nil="true" /></response>'
    )
    problem = await client.get("/v1/things/missing", headers={"Accept": "text/xml"})
    assert problem.headers["content-type"] == "application/problem+xml"
    assert "<status>404</status>" in problem.text


async def test_a_strict_integer_arrives_typed_from_xml(client, writer):
    body = "<thing><name>tea</name><size>3</size><tags type='list'><item>a</item></tags></thing>"
    r = await client.post(
        "/v1/things", content=body, headers={**writer, "Content-Type": "application/xml"}
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "tea", "size": 3, "tags": ["a"], "note": None}
    bad = body.replace("<size>3</size>", "<size>three</size>")
    r = await client.post(
        "/v1/things", content=bad, headers={**writer, "Content-Type": "application/xml"}
    )
    assert r.status_code == 422


async def test_bad_bodies_are_4xx_problems(client, writer):
    cases = [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 422),
        ({"content": b"<a><b></a>", "headers": {"Content-Type": "application/xml"}}, 400),
        ({"content": b"name=pot", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"content": b"x" * 2048, "headers": {"Content-Type": "application/json"}}, 413),
        ({"json": {**THING, "colour": "red"}}, 422),
        ({"json": {**THING, "size": "big"}}, 422),
        ({"json": [THING]}, 422),
    ]
    for kwargs, status in cases:
        headers = {**writer, **kwargs.pop("headers", {})}
        r = await client.post("/v1/things", headers=headers, **kwargs)
        assert r.status_code == status, (kwargs, r.text)
        assert r.headers["content-type"].startswith("application/problem+")


async def test_a_chunked_body_is_held_to_the_limit(client, writer):
    async def chunks():
        for _ in range(8):
            yield b" " * 200

    r = await client.post(
        "/v1/things", content=chunks(), headers={**writer, "Content-Type": "application/json"}
    )
    assert r.status_code == 413


async def test_an_unacceptable_accept_is_406(client):
    r = await client.get("/v1/things/kettle", headers={"Accept": "text/html"})
    assert r.status_code == 406 and r.json()["title"] == "Not Acceptable"


async def test_metrics_are_the_slo_rules_histogram(client):
    await client.get("/v1/things/kettle")
    await client.get("/v1/things/missing")
    await client.get("/nowhere")
    text = (await client.get("/metrics")).text
    assert (
        'http_server_request_duration_seconds_count{http_request_method="GET",'
        'http_response_status_code="200",http_route="/v1/things/{name}"}'
    ) in text
    assert 'http_response_status_code="404",http_route="/v1/things/{name}"' in text
    assert 'http_response_status_code="404",http_route=""' in text  # no path as a label
    assert 'le="0.2"' in text  # the SLO's latency objective is a bucket bound
    assert "/healthz" not in text and "/metrics" not in text
    scraped = await client.get("/metrics", headers={"Accept": "text/plain;version=0.0.4"})
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")


async def test_requests_are_traced_with_the_service_name(app, client, spans):
    app.state.tracer_provider.force_flush()  # earlier tests' spans
    spans.clear()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await client.get("/v1/things/kettle", headers={"traceparent": traceparent})
    app.state.tracer_provider.force_flush()
    server = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    assert server, spans.get_finished_spans()
    assert server[0].resource.attributes["service.name"] == "things"
    assert format(server[0].context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert server[0].attributes["http.route"] == "/v1/things/{name}"


def test_log_lines_are_json_with_the_trace_id():
    formatter = JSONFormatter("things")
    tracer = trace.get_tracer("test", tracer_provider=TracerProvider())
    with tracer.start_as_current_span("work") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
        line = json.loads(formatter.format(record))
    assert line["message"] == "hello you" and line["service"] == "things"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    outside = json.loads(formatter.format(record))
    assert "trace_id" not in outside


async def test_openapi_offers_xml_and_documents_problems(client):
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/v1/things"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "application/xml"}
    assert "application/problem+xml" in post["responses"]["default"]["content"]
    assert spec["info"]["version"] == "1.2.3"


def test_placeholder_secrets_are_refused_outside_dev(monkeypatch):
    base = {"service_name": "things", "jwt_jwks_url": "https://k/certs", "jwt_issuer": "https://k"}
    for url in ["postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u:change-me@h/d"]:
        with pytest.raises(ValidationError, match="placeholder password"):
            ServiceSettings(**base, database_url=url)
    with pytest.raises(ValidationError, match="jwt_jwks_url and jwt_issuer"):
        ServiceSettings(service_name="things", database_url="postgresql+asyncpg://u:s3cr3t@h/d")
    assert ServiceSettings(**base, environment="dev", database_url="postgresql+asyncpg://u@h/d")
    with pytest.raises(ValidationError, match="Extra inputs"):
        ServiceSettings(**base, database_url="postgresql+asyncpg://u:s3cr3t@h/d", colour="red")


def test_secrets_come_from_the_credentials_directory(monkeypatch, tmp_path: Path):
    (tmp_path / "mach_database_url").write_text(
        "postgresql+asyncpg://things:Xy7-real@db:6432/things"
    )
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.setenv("MACH_SERVICE_NAME", "things")
    monkeypatch.setenv("MACH_JWT_JWKS_URL", "https://k/certs")
    monkeypatch.setenv("MACH_JWT_ISSUER", "https://k")
    settings = load_settings(ServiceSettings)
    assert settings.database_url.get_secret_value().endswith("@db:6432/things")
    assert "Xy7-real" not in repr(settings)
