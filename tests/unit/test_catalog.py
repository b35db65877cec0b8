"""services/catalog.yml is sound, and what the roles derive from it is what they accept."""

import copy
import json

import yaml

from ansible_collections.mach.platform.plugins.filter.catalog import (
    catalog_kafka_acls,
    catalog_kafka_topics,
    catalog_kafka_users,
    catalog_keycloak_clients,
    catalog_keycloak_roles,
    catalog_opensearch_users,
    catalog_postgresql_databases,
    catalog_problems,
    catalog_redis_users,
    vault_postgresql_roles,
)
from ansible_collections.mach.platform.plugins.module_utils.realm_spec import validate
from conftest import ROOT, run, tool

CATALOG = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())
EIGHT = {"catalog", "inventory", "cart", "order", "payment", "customer", "search", "content"}


def test_the_catalogue_is_sound_and_complete():
    assert catalog_problems(CATALOG) == []
    assert {s["name"] for s in CATALOG["services"]} == EIGHT
    # One database per service, none shared.
    assert len({s["database"] for s in CATALOG["services"]}) == len(EIGHT)


def test_kafka_topics_and_least_privilege_acls():
    topics = {t["name"]: t for t in catalog_kafka_topics(CATALOG)}
    assert topics["order.events"]["dead_letter"] is True  # consumed by inventory and payment
    assert topics["content.events"]["dead_letter"] is False  # nobody consumes it
    acls = catalog_kafka_acls(CATALOG)
    users = set(catalog_kafka_users(CATALOG))
    # The kafka role's precheck: exactly one of topic/group, a known user.
    assert all(("topic" in a) != ("group" in a) and a["user"] in users for a in acls)
    assert {"user": "payment", "operation": "write", "topic": "payment.events"} in acls
    assert {"user": "payment", "operation": "read", "topic": "order.events"} in acls
    assert {"user": "payment", "operation": "write", "topic": "order.events.dlq"} in acls
    assert {"user": "payment", "operation": "read", "group": "payment"} in acls
    # Nobody writes a topic it does not produce (dead-letter topics aside).
    for a in acls:
        if a["operation"] == "write" and not a["topic"].endswith(".dlq"):
            (producer,) = [s for s in CATALOG["services"] if a["topic"] in s.get("produces", [])]
            assert producer["name"] == a["user"]


def test_postgresql_databases_one_per_service_owned_by_it():
    databases = catalog_postgresql_databases(CATALOG)
    assert {d["owner"] for d in databases} == EIGHT
    assert len({d["name"] for d in databases}) == len(EIGHT)
    assert {"name": "order", "owner": "order"} in databases


def test_vault_roles_one_per_database_acting_as_its_owner():
    roles = vault_postgresql_roles(catalog_postgresql_databases(CATALOG), "pg")
    assert {r["name"] for r in roles} == EIGHT and {r["db_name"] for r in roles} == {"pg"}
    order = next(r for r in roles if r["name"] == "order")
    create = " ".join(order["creation_statements"])
    # Vault fills in the placeholders; the owner is fixed per role.
    assert "{{name}}" in create and "{{password}}" in create and "{{expiration}}" in create
    assert 'IN ROLE "order"' in create and "SET role = 'order'" in create
    assert order["revocation_statements"] == [
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
        "WHERE usename = '{{name}}'",
        'DROP ROLE IF EXISTS "{{name}}"',
    ]


def test_redis_users_and_keycloak_clients_fit_their_consumers():
    assert [u["name"] for u in catalog_redis_users(CATALOG)] == ["cart", "customer"]
    assert catalog_redis_users(CATALOG)[0]["keys"] == ["cart:*"]
    clients = catalog_keycloak_clients(CATALOG)
    roles = catalog_keycloak_roles(CATALOG)
    validate(
        {
            "realm": "mach",
            "roles": roles,
            "client_scopes": [{"name": "services"}],
            "clients": clients,
        }
    )
    assert {c["client_id"] for c in clients} == EIGHT
    # the role each service's settings require for writes (services/kit: write_role)
    assert {r["name"] for r in roles} == {f"{s}-editor" for s in EIGHT}


def test_opensearch_users_keep_to_their_own_indices():
    assert catalog_opensearch_users(CATALOG) == [
        {"name": "search", "indices": ["search-*"], "access": "write"}
    ]
    foreign = {"services": [{"name": "search", "port": 1, "database": "s", "indices": ["logs-*"]}]}
    assert catalog_problems(foreign) == ["services[search].indices: 'logs-*' is not under search-"]


def test_problems_name_the_service_and_field():
    bad = copy.deepcopy(CATALOG)
    bad["services"][0]["colour"] = "red"
    bad["services"][1]["port"] = bad["services"][0]["port"]
    bad["services"][2]["calls"] = ["billing"]
    bad["services"][3]["consumes"].append("ghost.events")
    bad["services"][4]["produces"] = ["order.events"]
    bad["services"][5]["routes"] = ["/customers"]
    problems = "\n".join(catalog_problems(bad))
    for fragment in (
        "services[catalog].colour: unknown field",
        "port 8101 is used by 2 services",
        "services[cart].calls: 'billing' is not in the catalogue",
        "services[order].consumes: ghost.events is produced by no service",
        "services[payment].produces: order.events is already produced by order",
        "services[customer].routes: '/customers' is not under /v1/",
    ):
        assert fragment in problems, fragment


def test_filters_work_inside_ansible():
    proc = run(
        [tool("ansible"), "localhost", "-m", "ansible.builtin.debug", "-a",
         "msg={{ catalog | mach.platform.catalog_kafka_topics | map(attribute='name') | list }}",
         "-e", json.dumps({"catalog": CATALOG})],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "order.events" in proc.stdout and "catalog.events" in proc.stdout
