import json

from pydantic import BaseModel

from mach_service_kit.events import breaking_changes, export, schema


class V1(BaseModel):
    id: int
    name: str


class V1Plus(BaseModel):  # an optional field added: compatible
    id: int
    name: str
    colour: str | None = None


class Renamed(BaseModel):
    id: int
    title: str


class Retyped(BaseModel):
    id: str
    name: str


def test_only_optional_additions_are_compatible():
    old = schema("x.Thing", 1, V1)
    assert breaking_changes(old, schema("x.Thing", 1, V1Plus)) == []
    assert "/properties/data/properties/name: removed" in breaking_changes(
        old, schema("x.Thing", 1, Renamed)
    )
    assert any("title" in p for p in breaking_changes(old, schema("x.Thing", 1, Renamed)))
    assert breaking_changes(old, schema("x.Thing", 1, Retyped)) == [
        "/properties/data/properties/id/type: changed"
    ]
    assert breaking_changes(old, schema("x.Thing", 2, V1)) == ["/properties/version/const: changed"]


def test_export_writes_checks_and_refuses_breaking_a_version(tmp_path):
    assert export({"x.Thing": {1: V1}}, tmp_path, check=True) == [
        "x.Thing.v1.json: not exported (make -C services events)"
    ]
    assert export({"x.Thing": {1: V1}}, tmp_path, check=False) == []
    written = json.loads((tmp_path / "x.Thing.v1.json").read_text())
    assert written["properties"]["type"] == {"const": "x.Thing"}
    assert export({"x.Thing": {1: V1}}, tmp_path, check=True) == []
    assert export({"x.Thing": {1: V1Plus}}, tmp_path, check=True) == [
        "x.Thing.v1.json: stale, re-export it (make -C services events)"
    ]
    assert export({"x.Thing": {1: Retyped}}, tmp_path, check=False) == [
        "x.Thing.v1.json/properties/data/properties/id/type: changed"
    ]
    # the breaking change was not written; a new version is
    assert json.loads((tmp_path / "x.Thing.v1.json").read_text()) == written
    assert export({"x.Thing": {1: V1, 2: Retyped}}, tmp_path, check=False) == []
    assert (tmp_path / "x.Thing.v2.json").exists()
