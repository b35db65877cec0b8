"""The small pieces services build on: ETags, field types, the OpenAPI and event exporters'
command lines, the migrations command."""

import sys
import textwrap

import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel, ValidationError

from mach_service_kit import ProblemError, ServiceSettings, create_app, events, migrations, openapi
from mach_service_kit.etag import require_match, set_etag
from mach_service_kit.types import Bool, Scalars, Text


def test_etags_and_if_match():
    response = Response()
    set_etag(response, 3)
    assert response.headers["etag"] == '"3"'
    for header in ('"3"', 'W/"3"', '"1", "3"', "*"):
        require_match(header, 3)
    with pytest.raises(ProblemError) as missing:
        require_match(None, 3)
    assert missing.value.status == 428
    with pytest.raises(ProblemError) as stale:
        require_match('"2"', 3)
    assert stale.value.status == 412 and stale.value.extra == {"version": 3}


class Sample(BaseModel):
    text: Text = ""
    flag: Bool = False
    facets: Scalars = {}


def test_field_types_keep_to_what_postgresql_stores():
    assert Sample(text="ok", flag="true", facets={"n": 1.5, "b": True}).flag is True
    for bad in ({"text": "a\x00b"}, {"flag": 0}, {"flag": 1.0}, {"facets": {"": 1}},
                {"facets": {"x": float("nan")}}, {"facets": {"x": [1]}}):  # fmt: skip
        with pytest.raises(ValidationError):
            Sample(**bad)


def factory() -> FastAPI:
    settings = ServiceSettings(service_name="things", environment="dev",
                               database_url="postgresql+asyncpg://u@localhost/x")  # fmt: skip
    return create_app(settings, version="9.9.9", routers=[])


def test_the_openapi_command_writes_and_checks(tmp_path, monkeypatch, capsys):
    target = tmp_path / "openapi.json"
    monkeypatch.setattr(sys, "argv", ["openapi", "test_helpers:factory", "--check", str(target)])
    assert openapi.main() == 1 and "run `make -C services openapi`" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["openapi", "test_helpers:factory", "--write", str(target)])
    assert openapi.main() == 0 and '"version": "9.9.9"' in target.read_text()
    monkeypatch.setattr(sys, "argv", ["openapi", "test_helpers:factory", "--check", str(target)])
    assert openapi.main() == 0


class Thing(BaseModel):
    id: int


EVENTS = {"things.Made": {1: Thing}}


def test_the_events_command_writes_and_checks(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["events", "test_helpers:EVENTS", str(tmp_path), "--check"])
    assert events.main() == 1 and "not exported" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["events", "test_helpers:EVENTS", str(tmp_path)])
    assert events.main() == 0 and (tmp_path / "things.Made.v1.json").exists()


def test_the_migrations_command_runs_a_services_migrations(pg, tmp_path):
    """A service's migrations directory as the kit's env.py runs it: upgrade, check,
    current, downgrade, on a real database."""
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(textwrap.dedent("""
        import sqlalchemy as sa
        from mach_service_kit.migrations import run
        metadata = sa.MetaData()
        sa.Table("things", metadata, sa.Column("id", sa.Integer, primary_key=True))
        run(metadata)
    """))  # fmt: skip
    (tmp_path / "versions" / "0001_things.py").write_text(textwrap.dedent("""
        import sqlalchemy as sa
        from alembic import op
        revision, down_revision = "0001", None
        def upgrade():
            op.create_table("things", sa.Column("id", sa.Integer, primary_key=True))
        def downgrade():
            op.drop_table("things")
    """))  # fmt: skip
    url = pg.create_database("things_migrations")
    for action in (["upgrade", "head"], ["check"], ["current"], ["downgrade", "base"]):
        assert migrations.main(action, tmp_path, url) == 0
    assert pg.psql("SELECT to_regclass('things') IS NULL", database="things_migrations") == "t"
