"""The realm spec's strict schema (pure; the module runs against Keycloak in
tests/integration/test_keycloak_realm.py)."""

import pytest

from ansible_collections.mach.platform.plugins.module_utils.realm_spec import (
    SpecError,
    client_representation,
    validate,
)


def test_a_sound_spec_passes():
    validate(
        {
            "realm": "mach",
            "settings": {"display_name": "MACH"},
            "roles": [{"name": "admin"}],
            "groups": [{"name": "ops", "realm_roles": ["admin"]}],
            "client_scopes": [{"name": "services"}],
            "clients": [
                {"client_id": "catalog", "default_client_scopes": ["services", "email"]},
                {"client_id": "bot", "service_accounts": True, "service_account_roles": ["admin"]},
            ],
        }
    )


def test_every_problem_is_listed_with_its_path():
    with pytest.raises(SpecError) as err:
        validate(
            {
                "realm": "mach",
                "setting": {},
                "settings": {"display_nam": "x"},
                "roles": [{"name": "a"}, {"name": "a"}],
                "clients": [
                    {"client_id": "c", "default_client_scopes": ["nope"]},
                    {},
                    {"client_id": "d", "service_account_roles": ["a"]},
                    {"client_id": "e", "service_accounts": True, "service_account_roles": ["b"]},
                ],
            }
        )
    msg = str(err.value)
    for fragment in (
        "spec.setting: unknown field",
        "spec.settings.display_nam: unknown field",
        "spec.roles[1].name: 'a' appears twice",
        "spec.clients[0].default_client_scopes: 'nope'",
        "spec.clients[1].client_id: required",
        "spec.clients[2].service_account_roles: needs service_accounts: true",
        "spec.clients[3].service_account_roles: 'b' is not in spec.roles",
    ):
        assert fragment in msg, fragment


def test_clients_are_confidential_unless_said_otherwise():
    assert client_representation({"client_id": "x"})["publicClient"] is False
    web = client_representation(
        {"client_id": "w", "confidential": False, "redirect_uris": ["b", "a"]}
    )
    assert web["publicClient"] is True and web["redirectUris"] == ["a", "b"]
    assert web["standardFlowEnabled"] is True
