"""The content service's tests run on a real PostgreSQL server (the kit's pytest plugin);
each test's client runs in a transaction rolled back afterwards."""

import pytest

from content.main import create_app
from content.migrate import main as migrate
from content.settings import ContentSettings, get_settings
from mach_service_kit.pytest_plugin import service_fixtures

ARTICLE = {
    "key": "article",
    "name": "Article",
    "fields": [
        {"name": "title", "type": "text", "required": True, "max_length": 120},
        {"name": "body", "type": "rich_text"},
        {"name": "rating", "type": "number", "localized": False},
        {"name": "featured", "type": "boolean", "localized": False},
        {"name": "issued", "type": "date", "localized": False},
        {"name": "related", "type": "reference", "localized": False},
    ],
}


database_url, settings, app_factory = service_fixtures(
    "content", migrate, get_settings.cache_clear, ContentSettings, create_app
)


@pytest.fixture
def editor(issuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(roles=['content-editor'])}"}


@pytest.fixture
async def article_type(client, editor) -> dict:
    r = await client.post("/v1/content-types", json=ARTICLE, headers=editor)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
async def entry(client, editor, article_type) -> dict:
    body = {
        "content_type": "article",
        "slug": "hello",
        "fields": {"en": {"title": "Hello", "body": "<p>Hi</p>", "rating": 4.5},
                   "de": {"title": "Hallo"}},
    }  # fmt: skip
    r = await client.post("/v1/entries", json=body, headers=editor)
    assert r.status_code == 201, r.text
    return r.json()
