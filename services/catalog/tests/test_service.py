"""The catalog as a deployed unit: its writes are guarded by the editor role, it speaks XML
as well as JSON, its migrations match its models and run both ways, and its settings refuse
a placeholder credential outside dev."""

import pytest
from pydantic import ValidationError

from catalog.migrate import main as migrate
from catalog.settings import CatalogSettings, get_settings
from mach_service_kit.pytest_plugin import migrations_test

test_the_migrations_match_the_models_and_run_both_ways = migrations_test(
    "catalog", migrate, get_settings.cache_clear
)


async def test_writes_need_the_editor_role_and_reads_need_nothing(client, issuer, category):
    body = {"slug": "coffee", "name": "Coffee"}
    assert (await client.post("/v1/categories", json=body)).status_code == 401
    viewer = {"Authorization": f"Bearer {issuer.token(roles=['catalog-viewer'])}"}
    r = await client.post("/v1/categories", json=body, headers=viewer)
    assert r.status_code == 403 and "catalog-editor" in r.json()["detail"]
    assert (await client.get("/v1/categories")).status_code == 200
    assert (await client.get(f"/v1/categories/{category['id']}")).status_code == 200


async def test_a_product_is_created_and_read_in_xml(client, editor, category):
    body = (
        "<product><sku>TEA-XML</sku><name>Matcha</name>"
        f"<category_id>{category['id']}</category_id>"
        "<attributes><grade>ceremonial</grade></attributes></product>"
    )
    headers = {**editor, "Content-Type": "application/xml", "Accept": "application/xml"}
    r = await client.post("/v1/products", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/xml"
    assert "<sku>TEA-XML</sku>" in r.text and "<grade>ceremonial</grade>" in r.text
    listed = await client.get("/v1/products", headers={"Accept": "application/xml"})
    assert '<items type="list"><item><id>' in listed.text


def test_production_settings_refuse_placeholders_and_keep_the_editor_role():
    with pytest.raises(ValidationError, match="placeholder"):
        CatalogSettings(
            environment="prod",
            database_url="postgresql+asyncpg://catalog:change-me@db/catalog",
            jwt_jwks_url="https://k/certs",
            jwt_issuer="https://k",
        )
    settings = CatalogSettings(environment="dev", database_url="postgresql+asyncpg://c@db/c")
    assert settings.service_name == "catalog" and settings.write_role == "catalog-editor"
