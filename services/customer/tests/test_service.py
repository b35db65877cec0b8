"""The customer service as a deployed unit: its migrations match its models and run both
ways; an identity is required where the caller's own data is concerned."""

import pytest

from customer.migrate import main as migrate
from customer.settings import get_settings
from mach_service_kit.pytest_plugin import migrations_test

test_the_migrations_match_the_models_and_run_both_ways = migrations_test(
    "customer", migrate, get_settings.cache_clear
)


@pytest.mark.parametrize("token", ["not-a-jwt", None])
async def test_own_data_needs_a_valid_token(client, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await client.get("/v1/customers/me/addresses", headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


async def test_a_token_without_a_subject_is_refused(client, issuer):
    token = issuer.token(sub="")
    r = await client.get("/v1/customers/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "subject" in r.json()["detail"]
