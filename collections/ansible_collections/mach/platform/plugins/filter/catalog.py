"""The service catalogue (services/catalog.yml) and what platform roles derive from it."""

from __future__ import annotations

from collections import Counter
from typing import Any

DOCUMENTATION = r"""
name: catalog_problems
short_description: List what is wrong with the service catalogue, one message per problem
version_added: 0.2.0
description:
  - Checks services/catalog.yml strictly - unknown fields, duplicate names, ports or
    databases, a topic produced by two services, a topic consumed that nobody produces, a call
    to an unknown service, a route outside /v1, an index pattern outside the service's
    own prefix - and names the service and field at fault.
  - The same module provides C(catalog_kafka_topics), C(catalog_kafka_acls),
    C(catalog_redis_users), C(catalog_opensearch_users),
    C(catalog_postgresql_databases), C(catalog_keycloak_clients) and
    C(catalog_keycloak_roles),
    which turn the catalogue into the variables of the kafka, redis and postgresql roles and
    the keycloak_realm spec, and C(vault_postgresql_roles), which turns the databases into
    the Vault database roles that issue each service's dynamic logins, and
    C(catalog_slo_rules), the Prometheus recording and alerting rules of every service's SLO.
options:
  _input:
    description: The parsed catalogue.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The catalogue is sound
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems }}"
  vars:
    __problems: "{{ mach_catalog | mach.platform.catalog_problems }}"

- name: Kafka topics and ACLs from the catalogue (usually set in group_vars)
  ansible.builtin.set_fact:
    kafka_topics: "{{ mach_catalog | mach.platform.catalog_kafka_topics }}"
    kafka_acls: "{{ mach_catalog | mach.platform.catalog_kafka_acls }}"
"""

RETURN = r"""
_value:
  description: Problems found, empty when the catalogue is sound.
  type: list
  elements: str
"""

TOP = {"schema", "defaults", "services"}
DEFAULTS = {"partitions", "slo"}
SERVICE = {
    "name",
    "description",
    "port",
    "database",
    "redis",
    "indices",
    "produces",
    "consumes",
    "calls",
    "routes",
    "slo",
    "partitions",
}
SLO = {"availability", "latency_p95_ms"}


def _services(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    return list(catalog.get("services") or [])


def catalog_problems(catalog: Any) -> list[str]:
    if not isinstance(catalog, dict):
        return ["catalogue: expected a mapping with 'services'"]
    problems = [f"catalogue.{k}: unknown field" for k in sorted(set(catalog) - TOP)]
    problems += [
        f"catalogue.defaults.{k}: unknown field"
        for k in sorted(set(catalog.get("defaults") or {}) - DEFAULTS)
    ]
    services = _services(catalog)
    names = [s.get("name") for s in services]
    for field in ("name", "port", "database"):
        counts = Counter(s.get(field) for s in services if s.get(field) is not None)
        problems += [
            f"services: {field} {value!r} is used by {n} services" for value, n in counts.items()
            if n > 1
        ]  # fmt: skip
    producers: dict[str, str] = {}
    for s in services:
        name = s.get("name", "?")
        where = f"services[{name}]"
        problems += [f"{where}.{k}: unknown field" for k in sorted(set(s) - SERVICE)]
        problems += [f"{where}.{k}: required" for k in ("name", "port", "database") if k not in s]
        problems += [
            f"{where}.slo.{k}: unknown field" for k in sorted(set(s.get("slo") or {}) - SLO)
        ]
        for topic in s.get("produces") or []:
            if topic in producers:
                problems.append(
                    f"{where}.produces: {topic} is already produced by {producers[topic]}"
                )
            producers.setdefault(topic, name)
        for callee in s.get("calls") or []:
            if callee not in names:
                problems.append(f"{where}.calls: {callee!r} is not in the catalogue")
        for pattern in s.get("indices") or []:
            if not str(pattern).startswith(f"{name}-"):
                problems.append(f"{where}.indices: {pattern!r} is not under {name}-")
        for route in s.get("routes") or []:
            if not str(route).startswith("/v1/"):
                problems.append(f"{where}.routes: {route!r} is not under /v1/")
    for s in services:
        for topic in s.get("consumes") or []:
            if topic not in producers:
                problems.append(
                    f"services[{s.get('name')}].consumes: {topic} is produced by no service"
                )
    return problems


def catalog_kafka_topics(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """Every produced topic; a consumed one gets its dead-letter twin."""
    consumed = {t for s in _services(catalog) for t in s.get("consumes") or []}
    default = (catalog.get("defaults") or {}).get("partitions", 6)
    return [
        {"name": t, "partitions": s.get("partitions", default), "dead_letter": t in consumed}
        for s in _services(catalog)
        for t in s.get("produces") or []
    ]


def catalog_kafka_acls(catalog: dict[str, Any], dlq_suffix: str = ".dlq") -> list[dict[str, str]]:
    """Least privilege: producers write their topics; consumers read theirs with a group of
    their own name and write the dead-letter topic."""
    acls: list[dict[str, str]] = []
    for s in _services(catalog):
        user = s["name"]
        for topic in s.get("produces") or []:
            acls += [
                {"user": user, "operation": op, "topic": topic} for op in ("write", "describe")
            ]
        consumes = s.get("consumes") or []
        for topic in consumes:
            acls += [{"user": user, "operation": op, "topic": topic} for op in ("read", "describe")]
            acls.append({"user": user, "operation": "write", "topic": topic + dlq_suffix})
        if consumes:
            acls.append({"user": user, "operation": "read", "group": user})
    return acls


def catalog_kafka_users(catalog: dict[str, Any]) -> list[str]:
    return [s["name"] for s in _services(catalog) if s.get("produces") or s.get("consumes")]


def catalog_redis_users(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """A Redis ACL user per service that uses Redis, confined to its own key prefix."""
    return [
        {"name": s["name"], "keys": [f"{s['name']}:*"], "channels": [f"{s['name']}:*"]}
        for s in _services(catalog)
        if s.get("redis")
    ]


def catalog_opensearch_users(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """A search-cluster user per service that keeps indices there, confined to them (the
    opensearch role's `opensearch_users`, passwords added from Vault)."""
    return [
        {"name": s["name"], "indices": list(s["indices"]), "access": "write"}
        for s in _services(catalog)
        if s.get("indices")
    ]


def catalog_postgresql_databases(catalog: dict[str, Any]) -> list[dict[str, str]]:
    """One database per service that has one, owned by a NOLOGIN role of the service's name:
    nothing else may connect to it (login roles, e.g. Vault's dynamic ones, are granted it)."""
    return [
        {"name": s["database"], "owner": s["name"]} for s in _services(catalog) if s.get("database")
    ]


def vault_postgresql_roles(
    databases: list[dict[str, str]], connection: str = "postgresql"
) -> list[dict[str, Any]]:
    """A Vault database role per database ({name, owner}, as catalog_postgresql_databases
    gives): each login it issues is a member of the owner role and acts as it (`SET role`),
    so what it creates belongs to the owner. When its lease ends, its sessions are ended (a
    pooler's idle server connections too) and the login is dropped."""
    roles = []
    for db in databases:
        owner = db["owner"].replace('"', "")
        roles.append(
            {
                "name": owner,
                "db_name": connection,
                "creation_statements": [
                    "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' "
                    f"VALID UNTIL '{{{{expiration}}}}' IN ROLE \"{owner}\"",
                    f"ALTER ROLE \"{{{{name}}}}\" SET role = '{owner}'",
                ],
                "revocation_statements": [
                    "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
                    "WHERE usename = '{{name}}'",
                    'DROP ROLE IF EXISTS "{{name}}"',
                ],
            }
        )
    return roles


# Multiwindow, multi-burn-rate alerting on the error budget (Google SRE workbook, ch. 5):
# (long window, short window, burn rate) pairs. Fast burns page, slow burns open a ticket.
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLO_BURN: dict[str, tuple[str, list[tuple[str, str, float]]]] = {
    "SLOErrorBudgetBurnFast": ("page", [("1h", "5m", 14.4), ("6h", "30m", 6)]),
    "SLOErrorBudgetBurnSlow": ("ticket", [("1d", "2h", 3), ("3d", "6h", 1)]),
}
# What every service exports (the OpenTelemetry HTTP server metric, Prometheus-named); the
# services' scrape jobs are named after them.
SLO_METRIC = "http_server_request_duration_seconds"


def catalog_slo_rules(catalog: dict[str, Any]) -> dict[str, Any]:
    """Prometheus rule groups for every service's SLO (its own or the catalogue's default):
    error ratios over the burn windows, p95 latency, burn-rate alerts and a latency alert."""
    default = (catalog.get("defaults") or {}).get("slo") or {}
    groups = []
    for svc in _services(catalog):
        slo = {**default, **(svc.get("slo") or {})}
        name = svc["name"]
        budget = round(1 - float(slo["availability"]) / 100, 10)
        sel = f'job="{name}"'
        errors = f'{sel},http_response_status_code=~"5.."'
        rules: list[dict[str, Any]] = [
            {
                "record": f"slo:sli_error:ratio_rate{w}",
                "expr": f"sum(rate({SLO_METRIC}_count{{{errors}}}[{w}])) / "
                f"sum(rate({SLO_METRIC}_count{{{sel}}}[{w}]))",
                "labels": {"service": name},
            }
            for w in SLO_WINDOWS
        ]
        # The objectives themselves, so that dashboards (roles/grafana) show burn rates and
        # targets without restating the catalogue.
        rules += [
            {
                "record": "slo:objective_availability:ratio",
                "expr": f"vector({round(float(slo['availability']) / 100, 10)})",
                "labels": {"service": name},
            },
            {
                "record": "slo:objective_latency_p95:seconds",
                "expr": f"vector({float(slo['latency_p95_ms']) / 1000})",
                "labels": {"service": name},
            },
        ]
        rules.append(
            {
                "record": "slo:latency_p95:seconds",
                "expr": f"histogram_quantile(0.95, sum by (le) "
                f"(rate({SLO_METRIC}_bucket{{{sel}}}[5m])))",
                "labels": {"service": name},
            }
        )
        for alert, (severity, pairs) in SLO_BURN.items():
            expr = " or ".join(
                f'(slo:sli_error:ratio_rate{long}{{service="{name}"}} > {rate} * {budget} and '
                f'slo:sli_error:ratio_rate{short}{{service="{name}"}} > {rate} * {budget})'
                for long, short, rate in pairs
            )
            rules.append(
                {
                    "alert": alert,
                    "expr": expr,
                    "for": "2m",
                    "labels": {"severity": severity, "service": name},
                    "annotations": {
                        "summary": f"{name} burns its error budget too fast",
                        "description": (
                            f"{name} fails {{{{ $value | humanizePercentage }}}} of its requests; "
                            f"at this rate its {slo['availability']}% availability objective "
                            "will not hold."
                        ),
                        "runbook_url": f"docs/runbooks/{alert}.md",
                    },
                }
            )
        seconds = float(slo["latency_p95_ms"]) / 1000
        rules.append(
            {
                "alert": "SLOLatencyP95High",
                "expr": f'slo:latency_p95:seconds{{service="{name}"}} > {seconds}',
                "for": "10m",
                "labels": {"severity": "page", "service": name},
                "annotations": {
                    "summary": f"{name} answers slower than its p95 objective",
                    "description": (
                        f"{name}'s p95 latency is {{{{ $value | humanizeDuration }}}}, above its "
                        f"{slo['latency_p95_ms']} ms objective for 10 minutes."
                    ),
                    "runbook_url": "docs/runbooks/SLOLatencyP95High.md",
                },
            }
        )
        groups.append({"name": f"slo-{name}", "rules": rules})
    return {"groups": groups}


def catalog_keycloak_clients(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """A confidential client with a service account per service (service-to-service tokens)."""
    return [
        {
            "client_id": s["name"],
            "description": s.get("description", ""),
            "service_accounts": True,
            "default_client_scopes": ["services"],
        }
        for s in _services(catalog)
    ]


def catalog_keycloak_roles(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """The realm role each service requires for writes to its API (its `write_role`,
    `<service>-editor`); grant it to a group or a client's service account in the realm spec."""
    return [
        {"name": f"{s['name']}-editor", "description": f"writes to the {s['name']} API"}
        for s in _services(catalog)
    ]


class FilterModule:
    """mach.platform catalogue filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "catalog_problems": catalog_problems,
            "catalog_kafka_topics": catalog_kafka_topics,
            "catalog_kafka_acls": catalog_kafka_acls,
            "catalog_kafka_users": catalog_kafka_users,
            "catalog_redis_users": catalog_redis_users,
            "catalog_opensearch_users": catalog_opensearch_users,
            "catalog_keycloak_clients": catalog_keycloak_clients,
            "catalog_keycloak_roles": catalog_keycloak_roles,
            "catalog_postgresql_databases": catalog_postgresql_databases,
            "vault_postgresql_roles": vault_postgresql_roles,
            "catalog_slo_rules": catalog_slo_rules,
        }
