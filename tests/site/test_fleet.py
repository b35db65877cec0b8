"""The local fleet, end to end: converged twice by the `fleet` fixture (tests/fleetlib.py;
the second run must change nothing), check mode and the check action stay clean, testinfra on
the nodes, each tier's logins and permissions, and the Nornir preflight passes, then names a
host whose required port is taken. The disruptive drills run after these (tests/drills)."""

import base64
import hashlib
import io
import json
import re
import secrets
import shlex
import time
from urllib.parse import quote

import pytest
import testinfra
import yaml
from fleetlib import (
    HOSTS,
    KAFKA_BOOTSTRAP,
    PG_POOLED,
    minio_client,
    pg,
    platform_secret,
    playbook,
    recap,
    report,
    vault_client,
)
from minio.error import S3Error

from conftest import ROOT, run, tool
from mach_ops.airgap import controller_debian_mirror
from mach_ops.clusters import kafka_client_config, kafka_tool
from mach_ops.molecule import curl_on
from mach_ops.testing import spans_by_service, two_service_trace

pytestmark = pytest.mark.fleet
CATALOG = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())


def test_first_converge_reaches_every_host(fleet):
    result = recap(fleet["first"].stdout)
    assert set(HOSTS) <= set(result)
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in result.values())


def test_second_converge_changes_nothing(fleet):
    result = recap(fleet["second"].stdout)
    assert fleet["second"].returncode == 0, report(fleet["second"])
    assert {h: result[h]["changed"] for h in HOSTS} == dict.fromkeys(HOSTS, 0), report(
        fleet["second"]
    )


def test_second_make_up_changes_nothing(fleet):
    """`make up` twice: the fleet's containers and network are left as they are."""
    proc = playbook("molecule/fleet/create.yml")
    assert proc.returncode == 0, report(proc)
    assert recap(proc.stdout)["localhost"]["changed"] == 0, report(proc)


def test_check_mode_predicts_no_change(fleet):
    proc = playbook("-i", "inventories/local", "site.yml", "--check", "--diff")
    assert proc.returncode == 0, report(proc)
    assert {h: recap(proc.stdout)[h]["changed"] for h in HOSTS} == dict.fromkeys(HOSTS, 0)


def test_check_action_passes(fleet):
    """check.yml: every tier's playbook with mach_action=check (the command each runbook
    gives: vault, minio, postgresql, redis, kafka, opensearch, keycloak, prometheus, grafana,
    jaeger, logs) in one run; read-only, and the data tier's checks need no password."""
    proc = playbook("-i", "inventories/local", "check.yml")
    assert proc.returncode == 0, report(proc)
    assert all(r["changed"] == 0 for r in recap(proc.stdout).values()), report(proc)
    ran = set(re.findall(r"^TASK \[Apply role (\w+)\]", proc.stdout, re.M))
    assert ran == {
        "vault",
        "minio",
        "postgresql",
        "redis",
        "kafka",
        "opensearch",
        "keycloak",
        "alertmanager",
        "prometheus",
        "grafana",
        "jaeger",
        "logs",
    }, ran


@pytest.mark.parametrize("name", HOSTS)
def test_node_state(fleet, name):
    host = testinfra.get_host(f"docker://{name}")
    for svc in ("ssh", "chrony", "prometheus-node-exporter"):
        assert host.service(svc).is_running, svc
    assert "mach-admin" in host.user("mach").groups
    chain = host.check_output("nft list chain inet mach input")
    assert "policy drop" in chain and "172.31.250.0/24" in chain
    assert "node_systemd_unit_state" in host.check_output("curl -fsS http://127.0.0.1:9100/metrics")


@pytest.mark.parametrize("name", ["mach-b1", "mach-c1"])
def test_nodes_take_time_from_the_zone_a_node(fleet, name):
    host = testinfra.get_host(f"docker://{name}")
    a1 = host.check_output("getent hosts mach-a1").split()[0]
    deadline = time.monotonic() + 60
    rows = []
    while time.monotonic() < deadline:
        rows = [r.split(",") for r in host.check_output("chronyc -n -c sources").splitlines()]
        if rows and rows[0][2] == a1 and rows[0][5] != "0":
            break
        time.sleep(2)
    assert rows and rows[0][2] == a1 and rows[0][5] != "0", rows


def test_scrape_across_nodes_through_the_firewall(fleet):
    """node_exporter on every node and the Kafka brokers' JMX exporter answer a scrape from
    another node of the trusted network."""
    b1 = testinfra.get_host("docker://mach-b1")
    assert b1.run("curl -fsS -m 5 -o /dev/null http://mach-a1:9100/metrics").rc == 0
    broker = b1.check_output("curl -fsS -m 20 http://mach-a1:9404/metrics")
    assert re.search(r"^kafka_server_replicamanager_underreplicatedpartitions 0\.0$", broker, re.M)


def test_prometheus_pair_scrapes_the_fleet_and_loads_the_components_alerts(fleet):
    """Both replicas (observability: mach-b1, mach-c1) scrape every node exporter, each other,
    every Kafka broker's JMX exporter, every Patroni (TLS), etcd, postgres_exporter,
    redis_exporter, OpenBao (TLS, no token) and MinIO (TLS) member, and both Alertmanager
    members, up, over the fleet's firewalls; they load common's, their own, Alertmanager's,
    Kafka's, PostgreSQL's, Redis's, Vault's and MinIO's alerts, every rule healthy; both send
    alerts to both Alertmanager members over TLS; Kafka reports one active controller, Patroni
    one primary with a synchronous standby, the exporters read every service database and one
    Redis master, and Vault one active member of three unsealed."""
    expected = (
        {("node", h) for h in HOSTS}
        | {("kafka", h) for h in HOSTS}
        | {(job, h) for job in ("patroni", "etcd", "postgres", "redis", "minio") for h in HOSTS}
        | {("vault", h) for h in HOSTS}
        | {("keycloak", h) for h in HOSTS}
        | {("prometheus", h) for h in ("mach-b1", "mach-c1")}
        | {("alertmanager", h) for h in ("mach-b1", "mach-c1")}
        | {("jaeger", h) for h in ("mach-b1", "mach-c1")}
    )
    for replica in ("mach-b1", "mach-c1"):
        node = testinfra.get_host(f"docker://{replica}")

        def get(path, node=node, replica=replica):
            out = node.check_output(
                f"curl -fsS -m 10 --cacert /etc/prometheus/tls/ca.crt "
                f"'https://{replica}:9090/api/v1/{path}'"
            )
            return json.loads(out)["data"]

        deadline = time.monotonic() + 90
        while True:
            targets = get("targets?state=active")["activeTargets"]
            seen = {(t["labels"]["job"], t["labels"]["node"]): t["health"] for t in targets}
            if set(seen) == expected and set(seen.values()) == {"up"}:
                break
            assert time.monotonic() < deadline, (replica, seen)
            time.sleep(3)
        groups = get("rules")["groups"]
        assert {g["name"] for g in groups} == {
            "node", "prometheus", "alertmanager", "kafka", "postgresql", "redis", "vault", "minio",
            "keycloak", "jaeger", "logs",
        }  # fmt: skip
        alertmanagers = get("alertmanagers")["activeAlertmanagers"]
        assert sorted(a["url"] for a in alertmanagers) == [
            f"https://{h}:9093/api/v2/alerts" for h in ("mach-b1", "mach-c1")
        ], replica
        rules = [r for g in groups for r in g["rules"]]
        assert all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]
        controllers = get("query?query=sum(kafka_controller_kafkacontroller_activecontrollercount)")
        assert controllers["result"][0]["value"][1] == "1", (replica, controllers)
        roles = get("query?query=sum(patroni_primary)*10%2Bsum(patroni_sync_standby)")
        assert roles["result"][0]["value"][1] == "11", (replica, roles)
        # Every exporter is logged in (peer, no password) and reads each service's database.
        logged_in = get("query?query=sum(pg_up)")
        assert logged_in["result"][0]["value"][1] == "3", (replica, logged_in)
        databases = get("query?query=count%20by%20(datname)%20(pg_stat_database_numbackends)")
        names = {r["metric"].get("datname") for r in databases["result"]}
        wanted = {s["database"] for s in CATALOG["services"] if s.get("database")}
        assert wanted and wanted <= names, (replica, names)
        # Every Redis answers its exporter's statistics-only login; one of them is the master.
        redis = get(
            "query?query=sum(redis_up)*10%2Bcount(redis_instance_info%7Brole%3D%22master%22%7D)"
        )
        assert redis["result"][0]["value"][1] == "31", (replica, redis)
        query = "sum(vault_core_active)*10+count(max without (cluster) (vault_core_unsealed) == 1)"
        vault = get(f"query?query={quote(query)}")
        assert vault["result"][0]["value"][1] == "13", (replica, vault)
        # Every Keycloak member sees the whole cluster.
        query = 'min(vendor_cluster_size{job="keycloak"})'
        keycloak = get(f"query?query={quote(query)}")
        assert keycloak["result"][0]["value"][1] == "3", (replica, keycloak)


def test_vault_serves_from_every_zone(fleet):
    """The security tier: one active Vault member and two unsealed standbys, TLS verified
    against the internal CA."""
    codes = [
        testinfra.get_host(f"docker://{name}").check_output(
            "curl -sS -o /dev/null -w '%{http_code}' --cacert /etc/vault/tls/ca.crt "
            "https://localhost:8200/v1/sys/health"
        )
        for name in HOSTS
    ]
    assert sorted(codes) == ["200", "429", "429"]


def test_keycloak_cluster_issues_the_realms_tokens_to_secrets_from_vault(fleet):
    """The identity tier: Keycloak on the security nodes, one cluster on the data tier's
    PostgreSQL. Its passwords were generated in Vault once; the realm spec applied by
    playbooks/keycloak.yml put each catalogue client's secret in Vault, and that secret gets a
    token from every member, each under the cluster's one issuer; the database login works."""
    secret = platform_secret("keycloak")
    assert secret["metadata"]["version"] == 1
    assert {"admin", "database"} <= set(secret["data"])
    kv = vault_client().secrets.kv.v2.read_secret_version(
        path="keycloak/mach/catalog", raise_on_deleted_version=True
    )
    client_secret = kv["data"]["data"]["client_secret"]
    for name in HOSTS:
        node = testinfra.get_host(f"docker://{name}")
        form = f"grant_type=client_credentials&client_id=catalog&client_secret={client_secret}"
        out = node.check_output(
            "curl -fsS -m 20 --cacert /etc/keycloak/tls/ca.crt --data %s "
            "https://%s:8443/realms/mach/protocol/openid-connect/token",
            form,
            name,
        )
        token = json.loads(out)["access_token"]
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["iss"] == "https://mach-a1:8443/realms/mach", (name, claims["iss"])
        assert claims["azp"] == "catalog"
    login = pg("keycloak_app", secret["data"]["database"], "SELECT count(*) FROM realm", "keycloak")
    assert login.rc == 0 and int(login.stdout.split()[-1]) >= 2, login.stdout + login.stderr


def search(name: str, path: str, user: str, password: str, *args: str) -> tuple[int, object]:
    """A REST call to the search cluster from node `name` to its own member's address."""
    node = testinfra.get_host(f"docker://{name}")
    address = SEARCH_ADDRESS[name]
    return curl_on(
        node, "-m", "20", "--cacert", "/etc/opensearch/tls/ca.crt", "-u", f"{user}:{password}",
        "-H", "Content-Type: application/json", *args, f"https://{address}:9200{path}",
    )  # fmt: skip


# The members' loopback-range addresses (inventories/local 99-env.yml, docs/adr/0016).
SEARCH_ADDRESS = {name: f"127.31.250.{11 + i}" for i, name in enumerate(HOSTS)}


def test_search_cluster_spans_the_zones_and_keeps_users_to_their_indices(fleet):
    """The search cluster on the data nodes: its passwords were generated in Vault once (the
    admin, each catalogue service that keeps indices, Jaeger); green with one member per zone
    and every shard copy in another zone; a service's user writes its own indices and is
    refused another service's."""
    secret = platform_secret("opensearch")
    assert secret["metadata"]["version"] == 1
    users = {s["name"] for s in CATALOG["services"] if s.get("indices")}
    keys = secret["data"]
    assert users and {"admin", "jaeger"} | users <= set(keys), sorted(keys)
    code, health = search("mach-a1", "/_cluster/health?wait_for_status=green&timeout=30s",
                          "admin", keys["admin"])  # fmt: skip
    assert code == 200 and isinstance(health, dict), health
    assert (health["status"], health["number_of_nodes"]) == ("green", 3), health
    code, attrs = search("mach-b1", "/_cat/nodeattrs?format=json&h=node,attr,value",
                         "admin", keys["admin"])  # fmt: skip
    assert code == 200 and isinstance(attrs, list)
    zones = {a["node"]: a["value"] for a in attrs if a["attr"] == "zone"}
    assert zones == {"mach-a1": "zone-a", "mach-b1": "zone-b", "mach-c1": "zone-c"}, zones
    name = sorted(users)[0]
    (pattern,) = next(s["indices"] for s in CATALOG["services"] if s["name"] == name)
    index = pattern.replace("*", "site-test")
    doc = json.dumps({"sku": "SKU-1", "title": "written by the site test"})
    code, answer = search("mach-c1", f"/{index}/_doc/1?refresh=true", name, keys[name],
                          "-X", "PUT", "--data-binary", doc)  # fmt: skip
    assert code in (200, 201), answer
    code, answer = search("mach-a1", f"/{index}/_doc/1", name, keys[name])
    assert code == 200 and isinstance(answer, dict) and answer["_source"]["sku"] == "SKU-1"
    code, _ = search("mach-a1", "/jaeger-span-x/_search", name, keys[name])
    assert code == 403
    code, _ = search("mach-a1", f"/{index}/_search", "jaeger", keys["jaeger"])
    assert code == 403
    code, _ = search("mach-a1", f"/{index}", "admin", keys["admin"], "-X", "DELETE")
    assert code == 200


def test_a_trace_sent_to_one_jaeger_is_found_through_the_other(fleet):
    """Jaeger on both observability nodes, storing in the search cluster with its password from
    Vault: a trace of two services sent over OTLP/HTTPS to mach-b1 is answered whole by
    mach-c1's query API."""
    trace, parent, spans = two_service_trace("cart", "catalog", "site-test")
    tls = ("--cacert", "/etc/jaeger/tls/ca.crt")
    b1, c1 = (testinfra.get_host(f"docker://{h}") for h in ("mach-b1", "mach-c1"))
    body = ("-H", "Content-Type: application/json", "--data-binary", json.dumps(spans))
    code, _ = curl_on(b1, "-m", "20", *tls, *body, "https://mach-b1:4318/v1/traces")
    assert code == 200
    started = time.monotonic()
    services: dict = {}
    while time.monotonic() - started < 60 and set(services) != {"cart", "catalog"}:
        answer = curl_on(c1, "-m", "20", *tls, f"https://mach-c1:16686/api/traces/{trace}")
        services = spans_by_service(*answer)
        if set(services) != {"cart", "catalog"}:
            time.sleep(1)
    took = time.monotonic() - started
    assert set(services) == {"cart", "catalog"}, f"trace {trace} through mach-c1 after {took:.0f} s"
    (reference,) = services["catalog"]["references"]
    assert (reference["refType"], reference["spanID"]) == ("CHILD_OF", parent)
    print(f"\nJaeger: a trace sent to mach-b1 found through mach-c1 after {took:.1f} s")


def test_every_nodes_journal_reaches_the_search_cluster(fleet):
    """The log shipper on every node: a line logged on each is found in the day's logs index
    by its host, zone and text (the shipper's password from Vault; read here as the admin)."""
    token = secrets.token_hex(8)
    for name in HOSTS:
        testinfra.get_host(f"docker://{name}").check_output(f"logger -t site-test 'hello {token}'")
    admin = platform_secret("opensearch")["data"]["admin"]
    query = json.dumps({"size": 10, "query": {"match_phrase": {"message": f"hello {token}"}}})
    started, found = time.monotonic(), {}
    while time.monotonic() - started < 60 and set(found) != set(HOSTS):
        code, answer = search("mach-a1", "/logs-*/_search", "admin", admin,
                              "--data-binary", query)  # fmt: skip
        hits = answer["hits"]["hits"] if code == 200 and isinstance(answer, dict) else []
        found = {h["_source"]["host.name"]: h["_source"] for h in hits}
        if set(found) != set(HOSTS):
            time.sleep(2)
    took = time.monotonic() - started
    assert set(found) == set(HOSTS), f"after {took:.0f} s: {sorted(found)}"
    assert {n: d["mach.zone"] for n, d in found.items()} == {
        "mach-a1": "zone-a", "mach-b1": "zone-b", "mach-c1": "zone-c",
    }  # fmt: skip
    print(f"\nLogs: a line from each node searchable after {took:.1f} s")


def test_data_tier_passwords_live_in_vault(fleet):
    """The data tier's built-in passwords were generated in Vault KV (never in the inventory),
    the superuser's works against the leader, and Vault's admin login no longer answers to its
    first password (Vault rotated it at once)."""
    secret = platform_secret("postgresql")
    assert secret["metadata"]["version"] == 1  # generated once, not on the second converge
    keys = secret["data"]
    assert {"superuser", "replication", "rewind", "patroni_api", "vault_admin"} <= set(keys)
    assert pg("postgres", keys["superuser"], "SELECT current_user").stdout.strip() == "postgres"
    rotated = pg("vault", keys["vault_admin"], "SELECT 1")
    assert rotated.rc != 0 and "password authentication failed" in rotated.stderr


def test_grafana_configuration_from_vault_and_the_code(fleet):
    """Grafana's configuration level on the fleet (this machine's mirror carries no Grafana,
    inventories/local): on both observability nodes the secrets are Vault's (generated once),
    the data sources are the node's own Prometheus and Alertmanager, every dashboard of the code
    is in place, and no server is installed."""
    secret = platform_secret("grafana")
    assert secret["metadata"]["version"] == 1
    dashboards = sorted(ROOT.glob("roles/grafana/files/dashboards/*/*.json"))
    for name in ("mach-b1", "mach-c1"):
        node = testinfra.get_host(f"docker://{name}")
        for key in ("admin_password", "secret_key"):
            assert node.file(f"/etc/grafana/secrets/{key}").content_string == secret["data"][key]
        assert (
            secret["data"]["admin_password"]
            not in node.file("/etc/grafana/grafana.ini").content_string
        )
        sources = yaml.safe_load(
            node.file("/etc/grafana/provisioning/datasources/mach.yml").content_string
        )["datasources"]
        assert {s["url"] for s in sources} == {f"https://{name}:9090", f"https://{name}:9093"}
        for path in dashboards:
            f = node.file(f"/var/lib/grafana/dashboards/{path.parent.name}/{path.name}")
            assert f.sha256sum == hashlib.sha256(path.read_bytes()).hexdigest(), (name, path)
        assert not node.package("grafana").is_installed


def redis_cli(password, command, user=None, target="mach-b1", port=6379):
    """redis-cli on mach-b1 over TLS verified against the internal CA; user None is Sentinel's
    client login (password only)."""
    node = testinfra.get_host("docker://mach-b1")
    login = f"--user {user} " if user else ""
    return node.run(
        f"REDISCLI_AUTH={shlex.quote(password)} timeout 20 redis-cli --tls "
        f"--cacert /etc/redis/mach/tls/ca.crt -h {target} -p {port} {login}--no-auth-warning "
        f"{command}"
    )


def test_redis_passwords_live_in_vault_and_services_keep_to_their_keys(fleet):
    """The data tier's Redis: its passwords were generated in Vault KV once (one per catalogue
    service that uses Redis); Sentinel names the master; a service's login, read from Vault,
    writes its own keys on the master and is refused another service's and FLUSHALL."""
    secret = platform_secret("redis")
    assert secret["metadata"]["version"] == 1  # generated once, not on the second converge
    keys = secret["data"]
    assert {"admin", "replication", "sentinel", "user_cart", "user_customer"} <= set(keys)
    asked = redis_cli(keys["sentinel"], "SENTINEL get-master-addr-by-name mach", port=26379)
    assert asked.rc == 0 and asked.stdout.split(), asked.stdout + asked.stderr
    master = asked.stdout.split()[0]
    wrote = redis_cli(keys["user_cart"], "SET cart:site basket", "cart", master)
    assert wrote.stdout.strip() == "OK", wrote.stdout + wrote.stderr
    foreign = redis_cli(keys["user_cart"], "SET customer:site x", "cart", master)
    assert "NOPERM" in foreign.stdout + foreign.stderr
    flush = redis_cli(keys["user_cart"], "FLUSHALL", "cart", master)
    assert "NOPERM" in flush.stdout + flush.stderr
    assert redis_cli(keys["user_cart"], "DEL cart:site", "cart", master).stdout.strip() == "1"


def test_kafka_passwords_live_in_vault_and_services_keep_to_their_acls(fleet):
    """The data tier's Kafka: the admin's and each catalogue service's SCRAM passwords were
    generated in Vault KV once; the catalogue's topics exist on three racks with their
    dead-letter twins; `order` writes order.events with acks=all and `inventory` (a consumer
    in the catalogue) reads every record back in its own group; `catalog` may not write
    order.events and `inventory` may not read in another group's name."""
    secret = platform_secret("kafka")
    assert secret["metadata"]["version"] == 1  # generated once, not on the second converge
    keys = secret["data"]
    users = {s["name"] for s in CATALOG["services"] if s.get("produces") or s.get("consumes")}
    assert {"order", "inventory", "search"} <= users
    assert set(keys) == {"admin"} | {f"user_{name}" for name in users}
    node = testinfra.get_host("docker://mach-b1")
    topics = node.check_output("/usr/local/sbin/kafka-admin TopicCommand --list").split()
    assert {"order.events", "order.events.dlq", "catalog.events", "payment.events"} <= set(topics)
    described = node.check_output(
        "/usr/local/sbin/kafka-admin TopicCommand --describe --topic order.events"
    )
    assert "PartitionCount: 6" in described and "ReplicationFactor: 3" in described
    order = kafka_client_config(node, "order", keys["user_order"])
    inventory = kafka_client_config(node, "inventory", keys["user_inventory"])
    catalog = kafka_client_config(node, "catalog", keys["user_catalog"])
    try:
        sent = kafka_tool(
            node,
            "ProducerPerformance",
            "--topic order.events --num-records 500 --record-size 100 --throughput -1 "
            f"--producer-props bootstrap.servers={KAFKA_BOOTSTRAP} acks=all "
            f"--producer.config {order}",
        )
        assert sent.rc == 0 and "500 records sent" in sent.stdout, sent.stdout + sent.stderr
        read = kafka_tool(
            node,
            "consumer.ConsoleConsumer",
            f"--bootstrap-server {KAFKA_BOOTSTRAP} --topic order.events --group inventory "
            f"--from-beginning --max-messages 500 --timeout-ms 60000 --consumer.config {inventory}",
        )
        assert "Processed a total of 500 messages" in read.stdout + read.stderr, read.stderr
        forged = kafka_tool(
            node,
            "ProducerPerformance",
            "--topic order.events --num-records 1 --record-size 10 --throughput -1 "
            f"--producer-props bootstrap.servers={KAFKA_BOOTSTRAP} acks=all "
            f"--producer.config {catalog}",
            timeout=60,
        )
        assert "TopicAuthorizationException" in forged.stdout + forged.stderr
        stolen = kafka_tool(
            node,
            "consumer.ConsoleConsumer",
            f"--bootstrap-server {KAFKA_BOOTSTRAP} --topic order.events --group payment "
            f"--from-beginning --max-messages 1 --timeout-ms 20000 --consumer.config {inventory}",
            timeout=60,
        )
        assert "GroupAuthorizationException" in stolen.stdout + stolen.stderr
    finally:
        node.run(f"rm -f {order} {inventory} {catalog}")


def test_services_get_short_lived_database_logins_from_vault(fleet):
    """A service's database login is issued by Vault's database engine: it gets into its own
    database only, directly and through the pooler, what it creates belongs to the service's
    owner role, and it is gone when its lease is revoked, from the pooler too."""
    client = vault_client()
    creds = client.read("database/creds/catalog")
    user, password = creds["data"]["username"], creds["data"]["password"]
    probe = (
        "CREATE TABLE IF NOT EXISTS site_probe (id int); "
        "SELECT tableowner FROM pg_tables WHERE tablename = 'site_probe'"
    )
    made = pg(user, password, probe, "catalog")
    assert made.rc == 0 and made.stdout.split()[-1] == "catalog", made.stdout + made.stderr
    denied = pg(user, password, "SELECT 1", "order")
    assert denied.rc != 0 and "permission denied" in denied.stderr
    # the same login through the routers and the pooler, as the services connect
    pooled = pg(user, password, "SELECT count(*) FROM site_probe", "catalog", via=PG_POOLED)
    assert pooled.rc == 0, pooled.stderr
    assert pg(user, password, "SELECT 1", "order", via=PG_POOLED).rc != 0
    client.sys.revoke_lease(creds["lease_id"])
    gone = pg(user, password, "SELECT 1", "catalog")
    assert gone.rc != 0 and "password authentication failed" in gone.stderr
    # neither the pooler nor an idle server connection it kept lets the revoked login back in
    pooled_gone = pg(user, password, "SELECT 1", "catalog", via=PG_POOLED)
    assert pooled_gone.rc != 0, pooled_gone.stdout


def test_backup_age_reaches_every_node_exporter(fleet):
    """What the backup-age alerts read (PostgreSQLBackupTooOld, ...RepositoryUnreadable): each
    member's metrics service reads the repository in MinIO, and its node exporter serves the
    newest full backup's time (today's, from the deploy), a sound stanza and a successful read."""
    for name in HOSTS:
        node = testinfra.get_host(f"docker://{name}")
        node.check_output("systemctl start pgbackrest-metrics.service")
        scraped = node.check_output("curl -sf http://127.0.0.1:9100/metrics")
        samples = dict(
            line.rsplit(" ", 1) for line in scraped.splitlines() if line.startswith("pgbackrest_")
        )
        assert samples['pgbackrest_info_success{stanza="mach"}'] == "1", name
        assert samples['pgbackrest_stanza_status{stanza="mach"}'] == "0", name
        full = float(
            samples[
                'pgbackrest_backup_last_completion_timestamp_seconds{stanza="mach",type="full"}'
            ]
        )
        assert 0 <= time.time() - full < 6 * 3600, (name, full)


def test_object_storage_keys_live_in_vault_and_users_keep_to_their_buckets(fleet):
    """The storage tier: MinIO's root password and its platform users' secrets were generated
    in Vault once; the backup buckets are versioned; pgbackrest writes its bucket and no other."""
    secret = platform_secret("minio")
    assert secret["metadata"]["version"] == 1
    keys = secret["data"]
    assert set(keys) == {"root", "pgbackrest", "vault-snapshots"}
    root = minio_client("mach-admin", keys["root"])
    for bucket in ("pgbackrest", "vault-snapshots"):
        assert root.get_bucket_versioning(bucket).status == "Enabled"
    writer = minio_client("pgbackrest", keys["pgbackrest"], member="mach-c1")
    writer.put_object("pgbackrest", "site-probe", io.BytesIO(b"probe"), 5)
    assert root.get_object("pgbackrest", "site-probe").read() == b"probe"
    with pytest.raises(S3Error) as denied:
        writer.put_object("vault-snapshots", "forged.snap", io.BytesIO(b"x"), 1)
    assert denied.value.code == "AccessDenied"


def test_vault_backup_ships_a_snapshot_to_minio(fleet):
    """Issue 5: mach_action=backup takes a Raft snapshot on the active member and ships one to
    the vault-snapshots bucket, whose sha256 matches its metadata; -vvv shows no secret."""
    proc = playbook("-i", "inventories/local", "playbooks/vault.yml", "-e", "mach_action=backup",
                    "-vvv")  # fmt: skip
    assert proc.returncode == 0, report(proc)
    keys = platform_secret("minio")["data"]
    output = proc.stdout + proc.stderr
    assert not [k for k, v in keys.items() if v in output] and vault_client().token not in output
    root = minio_client("mach-admin", keys["root"])
    snapshots = [o for o in root.list_objects("vault-snapshots", prefix="raft/", recursive=True)]
    assert snapshots, "no snapshot in the bucket"
    newest = max(snapshots, key=lambda o: o.object_name)
    body = root.get_object("vault-snapshots", newest.object_name).read()
    stat = root.stat_object("vault-snapshots", newest.object_name)
    assert hashlib.sha256(body).hexdigest() == stat.metadata["x-amz-meta-sha256"]
    assert len(body) > 1000


def test_no_secret_in_verbose_output(fleet):
    """The second converge ran with -vvv: none of the data (search cluster included), storage
    and identity tiers' passwords (read from Vault), no Keycloak client secret and not the Vault
    token appear in what an operator or a CI log sees."""
    client = vault_client()
    keys = platform_secret("postgresql")["data"]
    keys |= {f"minio {name}": value for name, value in platform_secret("minio")["data"].items()}
    keys |= {f"redis {name}": value for name, value in platform_secret("redis")["data"].items()}
    keys |= {f"kafka {name}": value for name, value in platform_secret("kafka")["data"].items()}
    keys |= {f"keycloak {k}": value for k, value in platform_secret("keycloak")["data"].items()}
    keys |= {f"opensearch {k}": value for k, value in platform_secret("opensearch")["data"].items()}
    catalog = client.secrets.kv.v2.read_secret_version(
        path="keycloak/mach/catalog", raise_on_deleted_version=True
    )
    keys["keycloak client catalog"] = catalog["data"]["data"]["client_secret"]
    output = fleet["second"].stdout + fleet["second"].stderr
    assert "<localhost> EXEC" in output or "ESTABLISH" in output  # really verbose
    leaked = [name for name, value in keys.items() if value in output]
    assert leaked == [] and client.token not in output, f"in the output: {leaked}"


@pytest.mark.parametrize("name", ["mach-b1", "mach-c1"])
def test_fleet_is_air_gapped_and_installs_only_from_its_mirror(fleet, name):
    """The fleet's network is internal: the Debian mirror this machine uses is unreachable
    from the nodes, their only apt source is mach-a1's mirror, and the mirror served them."""
    import docker

    network = docker.from_env().networks.get("mach-fleet")
    assert network.attrs["Internal"] is True
    host = testinfra.get_host(f"docker://{name}")
    outside = controller_debian_mirror()
    if outside is not None:
        assert host.run(f"curl -sS -m 8 -o /dev/null {outside}").rc != 0, "reached outside"
    sources = host.check_output("cat /etc/apt/sources.list.d/*.sources")
    assert re.findall(r"^URIs: (\S+)", sources, re.M) == ["http://mach-a1:8080/apt"]
    a1 = testinfra.get_host("docker://mach-a1")
    address = host.check_output(f"getent hosts {name}").split()[0]
    log = a1.check_output("cat /var/log/nginx/access.log")
    assert any(
        line.startswith(address + " ") and "/apt/dists/" in line for line in log.splitlines()
    )


def test_preflight_passes_on_the_converged_fleet(fleet):
    proc = run([tool("mach"), "preflight", "-i", "inventories/local"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 hosts checked, 3 ok, 0 failed" in proc.stdout


def test_preflight_names_the_host_whose_port_is_taken(fleet):
    """A port the mesh's control plane needs (not converged yet) is taken by a stray process on
    mach-c1: preflight fails that host alone and names port, process, unit and the group that
    needs it."""
    c1 = testinfra.get_host("docker://mach-c1")
    c1.run("systemctl reset-failed mach-squatter")  # left by an earlier run, if any
    c1.check_output("systemd-run --unit=mach-squatter python3 -m http.server 5681")
    try:
        deadline = time.monotonic() + 10
        while ":5681 " not in c1.check_output("ss -Hltn") and time.monotonic() < deadline:
            time.sleep(0.2)
        proc = run([tool("mach"), "preflight", "-i", "inventories/local"])
    finally:
        c1.run("systemctl stop mach-squatter; systemctl reset-failed mach-squatter")
    assert proc.returncode == 1
    failing = [ln for ln in proc.stdout.splitlines() if "FAIL" in ln]
    assert len(failing) == 1, proc.stdout
    assert failing[0].startswith("mach-c1")
    assert "port 5681/tcp: held by python3" in failing[0]
    assert "mach-squatter.service" in failing[0]
    assert "group mesh_cp needs it for kuma-cp" in failing[0]
