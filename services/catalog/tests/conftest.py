"""The catalog's tests run on a real PostgreSQL server (the kit's pytest plugin: `pg`,
`issuer`, `monkeypatch_session`): the migrations run once, and each test's client runs in a
transaction rolled back afterwards, so tests are isolated and leave nothing behind."""

import pytest

from catalog.main import create_app
from catalog.migrate import main as migrate
from catalog.settings import CatalogSettings, get_settings
from mach_service_kit.pytest_plugin import service_fixtures

EDITOR = "catalog-editor"


database_url, settings, app_factory = service_fixtures(
    "catalog", migrate, get_settings.cache_clear, CatalogSettings, create_app, max_body_bytes=65536
)


@pytest.fixture
def editor(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(roles=[EDITOR])}"}


@pytest.fixture
async def category(client, editor) -> dict:
    response = await client.post(
        "/v1/categories", json={"slug": "tea", "name": "Tea"}, headers=editor
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def product(client, editor, category) -> dict:
    body = {
        "sku": "TEA-001",
        "name": "Sencha",
        "description": "green tea",
        "category_id": category["id"],
        "attributes": {"origin": "JP", "organic": True, "grams": 100},
    }
    response = await client.post("/v1/products", json=body, headers=editor)
    assert response.status_code == 201, response.text
    return response.json()
