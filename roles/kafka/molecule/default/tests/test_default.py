"""Role kafka on three air-gapped nodes (internal network, mol-a is the mirror): the cluster
forms across zones, durability settings hold, SCRAM and ACLs are enforced, TLS is required,
and everything was installed from the mirror."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import yaml

from mach_ops.airgap import controller_debian_mirror
from mach_ops.clusters import kafka_client_config, kafka_tool
from mach_ops.molecule import ephemeral, playbook, secret
from mach_ops.runs import recap

testinfra_hosts = ["ansible://all"]

TOPIC = "order.events"
SCENARIO = Path(__file__).resolve().parent.parent
# Every broker metric the role's alerts use must be served under that name by the brokers.
ALERTS = Path(__file__).resolve().parents[3] / "files" / "prometheus" / "alerts.yml"
ALERT_METRICS = {
    name
    for group in yaml.safe_load(ALERTS.read_text())["groups"]
    for rule in group["rules"]
    for name in re.findall(r"\bkafka_\w+", rule["expr"])
}


def client_config(host, user: str, password: str | None = None) -> str:
    """A SASL_SSL client config for `user` (with its real password unless one is given), on
    the node (removed by the caller's test)."""
    path = f"/root/.kafka-client-{user}{'-given' if password else ''}.properties"
    return kafka_client_config(host, user, password or secret(f"kafka-{user}"), path)


def test_kafka_runs_on_both_listeners(host):
    assert host.service("kafka").is_running
    assert host.service("kafka").is_enabled
    assert host.socket("tcp://0.0.0.0:9092").is_listening
    assert host.socket("tcp://0.0.0.0:9095").is_listening


def test_node_cannot_reach_outside(host):
    """The scenario's network is internal (Docker drops its traffic to anything outside the
    subnet): the Debian mirror the controller uses is unreachable from the node, so packages
    and files can only have come from the fleet's mirror."""
    import docker

    network = docker.from_env().networks.get("mach-molecule-airgap")
    assert network.attrs["Internal"] is True
    mirror = controller_debian_mirror()
    if mirror is None:
        pytest.skip("no http(s) apt source configured on the controller")
    outside = host.run(f"curl -sS -m 4 -o /dev/null {mirror}")
    assert outside.rc != 0, "the node reached the Debian mirror"
    sources = host.check_output("cat /etc/apt/sources.list.d/*.sources")
    assert re.findall(r"^URIs: (\S+)", sources, re.M) in (
        ["http://mol-a:8080/apt"],
        ["file:///srv/mach-mirror/apt"],
    )


@pytest.mark.parametrize("name", ["mol-b", "mol-c"])
def test_jar_set_was_fetched_from_the_mirror(host, name):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("the mirror's access log is on mol-a")
    log = host.check_output("cat /var/log/nginx/access.log")
    address = host.check_output(f"getent hosts {name}").split()[0]
    fetched = [line for line in log.splitlines() if line.startswith(address + " ")]
    assert any("GET /files/kafka/4.4.0/kafka-4.4.0-jars.tar.gz" in line for line in fetched)
    assert any("GET /files/jmx-exporter/1.0.1/" in line for line in fetched)


def served_metrics(host, node: str) -> dict[str, float]:
    """A broker's JMX exporter output, from this node over the network (through the firewall
    opening for kafka_metrics_allowed_cidrs): unlabelled sample name -> summed value."""
    body = host.check_output(f"curl -sSf -m 20 http://{node}:9404/metrics")
    samples: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name = re.split(r"[{ ]", line, maxsplit=1)[0]
            samples[name] = samples.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return samples


def test_brokers_serve_the_metrics_the_alerts_use(host):
    """Each broker serves every kafka_* name of roles/kafka/files/prometheus/alerts.yml and the
    JVM's own metrics; read together, the values describe a healthy cluster: one active
    controller, nothing offline or under-replicated."""
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("read from mol-a for the three brokers at once")
    assert len(ALERT_METRICS) >= 5, ALERT_METRICS
    nodes = {node: served_metrics(host, node) for node in ("mol-a", "mol-b", "mol-c")}
    for node, samples in nodes.items():
        assert not ALERT_METRICS - samples.keys(), (node, sorted(ALERT_METRICS - samples.keys()))
        assert "jvm_memory_used_bytes" in samples, node
        assert samples["kafka_server_replicamanager_underreplicatedpartitions"] == 0, node
        assert samples["kafka_server_replicamanager_underminisrpartitioncount"] == 0, node
        assert samples["kafka_log_logmanager_offlinelogdirectorycount"] == 0, node
        assert samples["kafka_server_replicamanager_partitioncount"] > 0, node
    controller = "kafka_controller_kafkacontroller_activecontrollercount"
    active = [node for node, samples in nodes.items() if samples[controller]]
    assert len(active) == 1, active
    assert nodes[active[0]]["kafka_controller_kafkacontroller_offlinepartitionscount"] == 0


def test_broker_settings(host):
    props = host.file("/etc/kafka/server.properties")
    assert props.mode == 0o640
    zone = {"mol-a": "zone-a", "mol-b": "zone-b", "mol-c": "zone-c"}[host.backend.get_hostname()]
    content = props.content_string
    assert f"broker.rack={zone}" in content
    assert "min.insync.replicas=2" in content
    assert "default.replication.factor=3" in content
    assert "controller.quorum.voters=1@mol-a:9095,2@mol-b:9095,3@mol-c:9095" in content
    assert host.file("/etc/kafka/tls/kafka.key").mode == 0o600


def test_quorum_has_three_voters_one_leader(host):
    out = host.check_output("/usr/local/sbin/kafka-admin MetadataQuorumCommand describe --status")
    voters = re.search(r"CurrentVoters:\s*(.*)", out).group(1)
    assert all(
        f'"id": {i}' in voters or f"id={i}" in voters or f'"id":{i}' in voters for i in (1, 2, 3)
    ), out
    assert re.search(r"LeaderId:\s*[123]\b", out)


def test_topics_replicated_on_three_racks(host):
    out = host.check_output(f"/usr/local/sbin/kafka-admin TopicCommand --describe --topic {TOPIC}")
    assert "PartitionCount: 6" in out and "ReplicationFactor: 3" in out
    assert "min.insync.replicas=2" in out or "min.insync.replicas" not in out
    replicas = re.findall(r"Replicas: ([\d,]+)", out)
    assert len(replicas) == 6 and all(len(set(r.split(","))) == 3 for r in replicas)
    listed = host.check_output("/usr/local/sbin/kafka-admin TopicCommand --list").split()
    assert {TOPIC, TOPIC + ".dlq", "catalog.events"} <= set(listed)


def test_acked_writes_are_read_back_by_an_allowed_consumer(host):
    if host.backend.get_hostname() != "mol-b":
        pytest.skip("one producer/consumer run is enough")
    producer = client_config(host, "orders")
    consumer = client_config(host, "search")
    try:
        sent = kafka_tool(
            host,
            "ProducerPerformance",
            f"--topic {TOPIC} --num-records 2000 --record-size 100 --throughput -1 "
            f"--producer-props bootstrap.servers=mol-a:9092,mol-b:9092,mol-c:9092 acks=all "
            f"--producer.config {producer}",
        )
        assert sent.rc == 0, sent.stderr
        assert "2000 records sent" in sent.stdout
        read = kafka_tool(
            host,
            "consumer.ConsoleConsumer",
            f"--bootstrap-server mol-c:9092 --topic {TOPIC} --group search --from-beginning "
            f"--max-messages 2000 --timeout-ms 60000 --consumer.config {consumer}",
        )
        assert read.rc == 0, read.stderr
        assert "Processed a total of 2000 messages" in read.stderr + read.stdout
    finally:
        host.run(f"rm -f {producer} {consumer}")


def test_a_user_without_an_acl_is_denied(host):
    if host.backend.get_hostname() != "mol-c":
        pytest.skip("once")
    config = client_config(host, "search")  # may read order.events, may not write it
    try:
        denied = kafka_tool(
            host,
            "ProducerPerformance",
            f"--topic {TOPIC} --num-records 1 --record-size 10 --throughput -1 "
            f"--producer-props bootstrap.servers=mol-a:9092 acks=all max.block.ms=15000 "
            f"--producer.config {config}",
            timeout=90,
        )
        output = denied.stdout + denied.stderr
        assert "AuthorizationException" in output, output
    finally:
        host.run(f"rm -f {config}")


def test_a_wrong_password_is_refused(host):
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("once")
    path = client_config(host, "orders", password="not-the-password")
    try:
        out = kafka_tool(
            host,
            "TopicCommand",
            f"--bootstrap-server mol-a:9092 --command-config {path} --list",
            90,
        )
        assert out.rc != 0
        assert "Authentication failed" in out.stdout + out.stderr
    finally:
        host.run(f"rm -f {path}")


def test_listeners_require_tls_and_the_quorum_a_client_certificate(host):
    # The client listener presents a certificate of the internal CA for this host's name.
    name = host.backend.get_hostname()
    tls = host.run(
        f"openssl s_client -connect {name}:9092 -servername {name} -verify_return_error "
        f"-CAfile /etc/kafka/tls/ca.crt -verify_hostname {name} </dev/null"
    )
    assert "Verify return code: 0 (ok)" in tls.stdout
    # Plaintext Kafka on the TLS port gets no Kafka answer.
    plain = kafka_tool(
        host,
        "TopicCommand",
        f"--bootstrap-server {name}:9092 --list --command-config /dev/null",
        timeout=10,
    )
    assert plain.rc != 0
    # The controller listener demands a client certificate of the internal CA.
    assert (
        "listener.name.controller.ssl.client.auth=required"
        in host.file("/etc/kafka/server.properties").content_string
    )


def lists_topics(host, user: str, password: str) -> bool:
    path = client_config(host, user, password=password)
    try:
        out = kafka_tool(
            host, "TopicCommand", f"--bootstrap-server mol-b:9092 --command-config {path} --list"
        )
        assert out.rc == 0 or "Authentication failed" in out.stdout + out.stderr, out.stderr
        return out.rc == 0
    finally:
        host.run(f"rm -f {path}")


def admin_step(users: list[dict[str, str]]):
    """The role's admin step (molecule/default/admin.yml) with these users; the passwords go in
    an extra-vars file readable by root only, removed afterwards."""
    extra = ephemeral() / "kafka-users.json"
    extra.touch(mode=0o600)
    extra.write_text(json.dumps({"kafka_users": users}))
    try:
        return playbook(SCENARIO / "admin.yml", "-e", f"@{extra}")
    finally:
        extra.unlink()


def test_a_rotated_password_takes_effect_in_one_run(host):
    """The role's admin step with one user's password changed sets it, once, and records its
    fingerprint; the new password logs in and the old one is refused. Then the old password
    is set back the same way (the other tests use it)."""
    if host.backend.get_hostname() != "mol-a":
        pytest.skip("once")
    orders = {"name": "orders", "password": secret("kafka-orders")}
    old = secret("kafka-search")
    new = f"rotated-{uuid.uuid4().hex}"
    try:
        run = admin_step([orders, {"name": "search", "password": new}])
        assert run.returncode == 0, run.stdout[-3000:]
        changed = {h: r["changed"] for h, r in recap(run.stdout).items()}
        # the password set and its fingerprint recorded, both on the first member
        assert changed == {"mol-a": 2, "mol-b": 0, "mol-c": 0}, run.stdout[-3000:]
        assert new not in run.stdout + run.stderr
        assert lists_topics(host, "search", new)
        assert not lists_topics(host, "search", old)
    finally:
        back = admin_step([orders, {"name": "search", "password": old}])
        assert back.returncode == 0, back.stdout[-3000:]
    assert lists_topics(host, "search", old)
