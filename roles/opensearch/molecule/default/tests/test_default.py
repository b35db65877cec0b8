"""Role opensearch on three air-gapped nodes, one per zone: the cluster forms over TLS, shard
copies are spread over the zones, the security plugin authenticates and authorises every
request, index templates apply, and the lifecycle actions hold the cluster green. The nodes
talk over 127.31.0.0/24 (see molecule.yml), which only they can reach, so every request is
made from a node."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from mach_ops import runs
from mach_ops.molecule import curl, node, playbook, secret

testinfra_hosts = ["ansible://all"]

SCENARIO = Path(__file__).resolve().parent.parent
ZONE = {"os-a": "zone-a", "os-b": "zone-b", "os-c": "zone-c"}
TLS = "/etc/opensearch/tls"
# Where each node listens (molecule.yml: opensearch_network_host).
ADDRESS = {"os-a": "127.31.0.11", "os-b": "127.31.0.12", "os-c": "127.31.0.13"}


def rest(
    name: str,
    path: str,
    method: str = "GET",
    body: object = None,
    user: str | None = "admin",
    password: str | None = None,
    scheme: str = "https",
) -> tuple[int, object]:
    """One REST call from node `name` to its own node: as `user` (basic auth with its
    generated password unless one is given), or with no credentials at all (user=None)."""
    args = [
        "-m",
        "20",
        "--cacert",
        f"{TLS}/ca.crt",
        "-X",
        method,
        "-H",
        "Content-Type: application/json",
    ]
    if user is not None:
        args += ["-u", f"{user}:{password or secret(f'opensearch-{user}')}"]
    if body is not None:
        args += ["--data-binary", json.dumps(body)]
    return curl(name, *args, f"{scheme}://{ADDRESS[name]}:9200{path}")


def action(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The role with one action, against the scenario's inventory, at -vvv."""
    return playbook(SCENARIO / "action.yml", "-vvv", "-e", f"mach_action={name}", *extra)


def plain(run: subprocess.CompletedProcess[str]) -> str:
    """The run's output and errors, without colours."""
    return runs.plain(run.stdout + run.stderr)


def recap(run: subprocess.CompletedProcess[str]) -> dict[str, dict[str, int]]:
    out = runs.recap(run.stdout)
    assert sorted(out) == ["os-a", "os-b", "os-c"], run.stdout[-2000:]
    return out


def test_runs_as_its_user_on_the_loopback_range_address(host):
    address = ADDRESS[host.backend.get_hostname()]
    assert address in host.interface("eth0").addresses
    assert host.service("opensearch").is_running
    assert host.service("opensearch").is_enabled
    assert host.process.get(comm="java", user="opensearch")
    assert host.socket(f"tcp://{address}:9200").is_listening
    assert host.socket(f"tcp://{address}:9300").is_listening
    key = host.file(f"{TLS}/opensearch.key")
    assert (key.user, key.mode) == ("opensearch", 0o600)
    admin_key = host.file(f"{TLS}/admin.key")
    assert (admin_key.user, admin_key.mode) == ("root", 0o600)


def test_only_the_file_descriptor_bootstrap_check_warns(host):
    """On loopback OpenSearch logs its bootstrap checks instead of enforcing them: every check
    but the file-descriptor one (which the substrate cannot meet) must pass."""
    log = host.check_output("journalctl -u opensearch --no-pager -o cat")
    failing = re.findall(r"^\[WARN \]\[o\.o\.b\.BootstrapChecks\s*\] \[[^\]]+\] (.*)$", log, re.M)
    assert failing, "no bootstrap check ran"
    assert all("max file descriptors" in line for line in failing), failing


def test_home_was_fetched_from_the_mirror(host):
    if host.backend.get_hostname() != "os-a":
        pytest.skip("the mirror's access log is on os-a")
    log = host.check_output("cat /var/log/nginx/access.log")
    assert log.count("GET /files/opensearch/2.19.4/opensearch-2.19.4.tar.gz") >= 2


def test_cluster_of_three_green_with_a_node_per_zone():
    code, health = rest("os-b", "/_cluster/health")
    assert code == 200 and health["status"] == "green" and health["number_of_nodes"] == 3
    code, nodes = rest("os-c", "/_nodes/_all/settings")
    zones = {n["name"]: n["settings"]["node"]["attr"]["zone"] for n in nodes["nodes"].values()}
    assert zones == ZONE


def test_shard_copies_of_a_templated_index_are_spread_over_the_zones():
    assert rest("os-a", "/products-zones", "PUT")[0] == 200
    green = "/_cluster/health/products-zones?wait_for_status=green&timeout=60s"
    code, health = rest("os-a", green)
    assert code == 200 and health["status"] == "green"
    code, settings = rest("os-a", "/products-zones/_settings")
    index = settings["products-zones"]["settings"]["index"]
    assert (index["number_of_shards"], index["number_of_replicas"]) == ("3", "2")
    code, mapping = rest("os-a", "/products-zones/_mapping")
    assert mapping["products-zones"]["mappings"]["properties"]["sku"] == {"type": "keyword"}
    code, shards = rest("os-a", "/_cat/shards/products-zones?format=json")
    by_shard: dict[str, set[str]] = {}
    for s in shards:
        by_shard.setdefault(s["shard"], set()).add(ZONE[s["node"]])
    assert len(by_shard) == 3 and all(z == set(ZONE.values()) for z in by_shard.values())
    assert rest("os-a", "/products-zones", "DELETE")[0] == 200


def test_service_users_get_what_their_role_allows_and_nothing_else():
    doc = {"sku": "SKU-1", "title": "Walnut desk", "price": 199.0}
    code, _ = rest("os-a", "/products-users/_doc/1?refresh=true", "PUT", doc, user="search")
    assert code == 201
    code, found = rest("os-b", "/products-users/_doc/1", user="content")
    assert code == 200 and found["_source"]["sku"] == "SKU-1"
    # content may read, not write; neither may touch an index outside its patterns
    assert rest("os-b", "/products-users/_doc/2", "PUT", doc, user="content")[0] == 403
    assert rest("os-c", "/orders/_doc/1", "PUT", doc, user="search")[0] == 403
    assert rest("os-c", "/.opendistro_security/_search", user="search")[0] == 403
    assert rest("os-a", "/products-users", "DELETE")[0] == 200


def test_requests_without_valid_credentials_or_tls_are_refused():
    assert rest("os-a", "/", user=None)[0] == 401
    assert rest("os-a", "/", user="search", password="not-the-password-at-all")[0] == 401
    assert rest("os-a", "/", user="nobody", password="not-the-password-at-all")[0] == 401
    code, _ = rest("os-a", "/", scheme="http")
    assert code != 200  # plaintext on the HTTPS port gets no answer


def test_the_admin_is_all_access_and_no_demo_user_exists():
    code, info = rest("os-a", "/_plugins/_security/authinfo")
    assert code == 200 and "all_access" in info["roles"]
    code, users = rest("os-a", "/_plugins/_security/api/internalusers")
    assert code == 200
    assert sorted(users) == ["admin", "content", "dashboards", "jaeger", "logs", "search"]
    # A user given a static role (roles/kibana's server user) is mapped to it, with no role
    # of its own.
    code, mapping = rest("os-a", "/_plugins/_security/api/rolesmapping/kibana_server")
    assert code == 200 and mapping["kibana_server"]["users"] == ["dashboards"]
    assert rest("os-a", "/_plugins/_security/api/roles/mach_dashboards")[0] == 404


def test_check_action_is_green_and_changes_nothing():
    run = action("check")
    assert run.returncode == 0, run.stdout[-3000:]
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap(run).values()), recap(run)
    for name in ("admin", "search", "content"):
        assert secret(f"opensearch-{name}") not in run.stdout


def test_rolling_restart_keeps_the_documents_and_ends_green():
    docs = [
        {"index": {"_id": str(i)}} if j == 0 else {"sku": f"SKU-{i}"}
        for i in range(200)
        for j in range(2)
    ]
    body = "\n".join(json.dumps(d) for d in docs) + "\n"
    out = node("os-a").run(
        f"curl -sS -m 30 --cacert {TLS}/ca.crt -u search:{secret('opensearch-search')} "
        f"-H 'Content-Type: application/x-ndjson' --data-binary @- "
        f"'https://{ADDRESS['os-a']}:9200/products-restart/_bulk?refresh=true'"
        f" <<'EOF'\n{body}EOF"
    )
    assert '"errors":false' in out.stdout, out.stdout[-500:]
    started = time.monotonic()
    run = action("restart")
    took = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-3000:]
    assert {r["changed"] for r in recap(run).values()} == {1}
    code, health = rest("os-c", "/_cluster/health")
    assert health["status"] == "green" and health["number_of_nodes"] == 3
    code, count = rest("os-b", "/products-restart/_count", user="content")
    assert code == 200 and count["count"] == 200
    code, settings = rest("os-a", "/_cluster/settings")
    assert "allocation" not in json.dumps(settings["persistent"])  # allocation allowed again
    assert rest("os-a", "/products-restart", "DELETE")[0] == 200
    print(f"\nOpenSearch rolling restart: 3 nodes in {took:.0f} s, 200/200 documents kept, green")


def test_wrong_input_fails_before_any_change():
    """Prechecks stop a deploy before any task changes a node, and name what to fix (never the
    password)."""
    replicas = action("deploy", "-e", '{"opensearch_default_replicas": 3}')
    said = " ".join(plain(replicas).split())
    assert replicas.returncode != 0 and "replicas may not exceed 2" in said
    assert "changed: [" not in replicas.stdout
    weak = action("deploy", "-e", "opensearch_admin_password=Tiny9pw")
    said = " ".join(plain(weak).split())
    assert weak.returncode != 0 and "at least 16 characters" in said
    assert "changed: [" not in weak.stdout
    assert "Tiny9pw" not in weak.stdout + weak.stderr
