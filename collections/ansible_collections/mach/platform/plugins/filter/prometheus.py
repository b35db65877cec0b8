"""Prometheus configuration derived from the inventory and the catalogue: no hand-kept targets."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: prometheus_scrape_configs
short_description: Prometheus scrape configs from inventory groups, one job per component
version_added: 0.3.0
description:
  - Turns a list of jobs (a component's metrics endpoint - job name, inventory group, port,
    path, query parameters, scheme) into Prometheus C(scrape_configs). Each job's targets are
    the hosts of its group, in inventory order, each labelled with its node name and zone; a
    job whose group has no hosts is left out, so one job list serves every inventory.
  - An unknown field, a missing field or a bad scheme fails with a message naming the job.
  - The same module provides C(catalog_scrape_jobs), the jobs of the services in
    services/catalog.yml (job named after the service, on the application group), and
    C(prometheus_runbook_urls), which prefixes every relative C(runbook_url) of a rule file
    with the site's base URL.
options:
  _input:
    description: The jobs.
    type: list
    elements: dict
    required: true
  groups:
    description: The inventory's groups (C(groups)).
    type: dict
    required: true
  hostvars:
    description: The inventory's host variables (C(hostvars)).
    type: dict
    required: true
  address_var:
    description: Host variable holding the address to scrape; the inventory name when unset.
    type: str
    default: mach_metrics_address
"""

EXAMPLES = r"""
- name: Scrape configs of node exporters on every host and Kafka on the data group
  ansible.builtin.set_fact:
    scrape_configs: >-
      {{ [{'job': 'node', 'group': 'all', 'port': 9100},
          {'job': 'kafka', 'group': 'data', 'port': 9404}]
         | mach.platform.prometheus_scrape_configs(groups, hostvars) }}
"""

RETURN = r"""
_value:
  description: Prometheus scrape configs, one per job whose group has hosts.
  type: list
  elements: dict
"""

JOB_FIELDS = {"job", "group", "port", "path", "params", "scheme", "ca_file", "interval"}
REQUIRED = {"job", "group", "port"}


def _check_job(job: Any) -> None:
    if not isinstance(job, Mapping):
        raise AnsibleFilterError(f"prometheus scrape job {job!r} is not a mapping")
    name = job.get("job", "<unnamed>")
    unknown = set(job) - JOB_FIELDS
    missing = REQUIRED - set(job)
    if unknown:
        raise AnsibleFilterError(
            f"prometheus scrape job {name}: unknown field(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(JOB_FIELDS))})"
        )
    if missing:
        raise AnsibleFilterError(
            f"prometheus scrape job {name}: missing {', '.join(sorted(missing))}"
        )
    if job.get("scheme", "http") not in ("http", "https"):
        raise AnsibleFilterError(
            f"prometheus scrape job {name}: scheme must be http or https, not {job['scheme']!r}"
        )
    if job.get("ca_file") and job.get("scheme", "http") != "https":
        raise AnsibleFilterError(f"prometheus scrape job {name}: ca_file needs scheme https")
    params = job.get("params", {})
    if not isinstance(params, Mapping) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in params.values()
    ):
        raise AnsibleFilterError(
            f"prometheus scrape job {name}: params must map names to lists of strings, "
            f"e.g. {{format: [prometheus]}}, not {params!r}"
        )
    if not 0 < int(job["port"]) < 65536:
        raise AnsibleFilterError(f"prometheus scrape job {name}: port {job['port']} out of range")


def prometheus_scrape_configs(
    jobs: list[dict[str, Any]],
    groups: Mapping[str, list[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    address_var: str = "mach_metrics_address",
) -> list[dict[str, Any]]:
    """One scrape config per job whose group has hosts; one static config per host so each
    target carries its node and zone."""
    configs = []
    seen: set[str] = set()
    for job in jobs:
        _check_job(job)
        if job["job"] in seen:
            raise AnsibleFilterError(f"prometheus scrape job {job['job']} is defined twice")
        seen.add(job["job"])
        hosts = list(groups.get(job["group"]) or [])
        if not hosts:
            continue
        static = []
        for host in hosts:
            hv = hostvars.get(host) or {}
            labels = {"node": host}
            if hv.get("mach_zone"):
                labels["zone"] = str(hv["mach_zone"])
            static.append(
                {"targets": [f"{hv.get(address_var) or host}:{int(job['port'])}"], "labels": labels}
            )
        config: dict[str, Any] = {
            "job_name": job["job"],
            "metrics_path": job.get("path", "/metrics"),
            "scheme": job.get("scheme", "http"),
            "static_configs": static,
        }
        if job.get("params"):
            config["params"] = {k: list(v) for k, v in job["params"].items()}
        if job.get("interval"):
            config["scrape_interval"] = job["interval"]
        if job.get("ca_file"):
            config["tls_config"] = {"ca_file": job["ca_file"]}
        configs.append(config)
    return configs


def catalog_scrape_jobs(catalog: Mapping[str, Any], group: str = "app") -> list[dict[str, Any]]:
    """A scrape job per catalogue service, named after it (the SLO rules select job="<name>")."""
    return [
        {"job": s["name"], "group": group, "port": int(s["port"])}
        for s in catalog.get("services") or []
    ]


def prometheus_runbook_urls(rules: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The rule file with every relative runbook_url (a repository path such as
    docs/runbooks/X.md, docs/adr/0010) prefixed by base_url; absolute URLs are kept."""
    out = copy.deepcopy(dict(rules))
    base = base_url.rstrip("/")
    for group in out.get("groups") or []:
        for rule in group.get("rules") or []:
            annotations = rule.get("annotations") or {}
            url = annotations.get("runbook_url")
            if base and url and "://" not in url:
                annotations["runbook_url"] = f"{base}/{url.lstrip('/')}"
    return out


class FilterModule:
    """mach.platform Prometheus filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "prometheus_scrape_configs": prometheus_scrape_configs,
            "catalog_scrape_jobs": catalog_scrape_jobs,
            "prometheus_runbook_urls": prometheus_runbook_urls,
        }
