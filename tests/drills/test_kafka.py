"""Issue 4 drills on the converged local fleet (after tests/site): Kafka keeps every
acknowledged record and its consumers keep going when a broker is killed, and through a
rolling restart of the whole cluster. Each prints its figures."""

import json
import time
from collections import Counter

import pytest
import testinfra
from fleetlib import (
    HOSTS,
    KAFKA_BOOTSTRAP,
    platform_secret,
    playbook,
    recap,
    report,
)

from mach_ops.clusters import KAFKA_TOOL, kafka_client_config

pytestmark = pytest.mark.fleet
RATE = 400  # records per second


@pytest.fixture()
def drill(request):
    """A drill topic of its own (replication 3, min.insync.replicas 2, as every topic), the
    admin's client config on the producing and the consuming node; all removed afterwards."""
    topic = "drill." + request.node.name.removeprefix("test_")[:40]
    admin = platform_secret("kafka")["data"]["admin"]
    producer, consumer = (testinfra.get_host(f"docker://{h}") for h in ("mach-a1", "mach-b1"))
    configs = {n: kafka_client_config(n, "admin", admin) for n in (producer, consumer)}
    # The verifiable producer turns retries off; a service's producer retries (idempotently).
    producer.check_output(
        f"printf 'retries=2147483647\\nenable.idempotence=true\\n' >> {configs[producer]}"
    )
    created = producer.run(
        f"/usr/local/sbin/kafka-admin TopicCommand --create --if-not-exists --topic {topic} "
        "--partitions 6 --replication-factor 3"
    )
    assert created.rc == 0, created.stderr
    yield {"producer": producer, "consumer": consumer, "configs": configs, "topic": topic}
    for node in (producer, consumer):
        node.run("systemctl stop kafka-drill-producer kafka-drill-consumer; rm -f /tmp/drill.*")
        node.run(f"rm -f {configs[node]}")
    producer.run(f"/usr/local/sbin/kafka-admin TopicCommand --delete --topic {topic}")


def start(node, unit, cls, args, out):
    """A Kafka tool as a transient unit on the node, its output to a file there."""
    node.check_output(
        f"systemd-run --collect --unit={unit} --property=StandardOutput=file:{out} "
        f"--property=StandardError=file:{out}.err {KAFKA_TOOL} {cls} {args}"
    )


def produce(d, records):
    start(
        d["producer"],
        "kafka-drill-producer",
        "VerifiableProducer",
        f"--bootstrap-server {KAFKA_BOOTSTRAP} --topic {d['topic']} --max-messages {records} "
        f"--throughput {RATE} --acks -1 --producer.config {d['configs'][d['producer']]}",
        "/tmp/drill.produced",
    )


def consume(d, group):
    """A consumer across the whole drill: it prints every value it reads (stopped by the
    fixture; it gives up only after two minutes without a record)."""
    start(
        d["consumer"],
        "kafka-drill-consumer",
        "consumer.ConsoleConsumer",
        f"--bootstrap-server {KAFKA_BOOTSTRAP} --topic {d['topic']} --group {group} "
        f"--from-beginning --timeout-ms 120000 --consumer.config {d['configs'][d['consumer']]}",
        "/tmp/drill.consumed",
    )


def wait_inactive(node, unit, seconds):
    deadline = time.monotonic() + seconds
    while node.run(f"systemctl is-active --quiet {unit}").rc == 0:
        assert time.monotonic() < deadline, f"{unit} still running after {seconds} s"
        time.sleep(1)


def acknowledged(node):
    """The values the producer got an acks=all acknowledgement for, and its send errors."""
    events = [
        json.loads(line)
        for line in node.file("/tmp/drill.produced").content_string.splitlines()
        if line.startswith("{")
    ]
    acked = {e["value"] for e in events if e["name"] == "producer_send_success"}
    errors = Counter(
        f"{e.get('exception', '')}: {e.get('message', '')}"[:160]
        for e in events
        if e["name"] == "producer_send_error"
    )
    return acked, errors


def consumed_values(node):
    return set(node.file("/tmp/drill.consumed").content_string.split())


def wait_whole(node, seconds=300):
    """The cluster whole again (the role's rule, kafka-restart --check), polled."""
    deadline = time.monotonic() + seconds
    while (whole := node.run("/usr/local/sbin/kafka-restart --check")).rc != 0:
        assert time.monotonic() < deadline, whole.stderr
        time.sleep(2)


def test_a_killed_broker_loses_no_acknowledged_record_and_consumers_continue(drill):
    """Kill -9 one broker (mach-c1) under an acks=all producer and a consumer, and keep it
    down: the producer goes on through the other two (min.insync.replicas=2), every
    acknowledged record is read by the consumer that ran throughout, then the broker rejoins."""
    victim = testinfra.get_host("docker://mach-c1")
    records = RATE * 40
    consume(drill, "drill-kill")
    produce(drill, records)
    time.sleep(8)  # let the producer get going: the kill must land mid-stream
    # The drill's premise: every partition fully in sync when the broker dies. On a loaded host a
    # follower can fall out of the ISR for a while; killing a leader then leaves its partition
    # without an eligible replica (no unclean election) until the broker returns.
    wait_whole(drill["producer"], 60)
    killed_at = time.monotonic()
    victim.check_output("systemctl kill --signal=SIGKILL kafka && systemctl stop kafka")
    wait_inactive(drill["producer"], "kafka-drill-producer", 180)
    acked, errors = acknowledged(drill["producer"])
    deadline = time.monotonic() + 150
    while not acked <= consumed_values(drill["consumer"]) and time.monotonic() < deadline:
        time.sleep(2)
    consumed = consumed_values(drill["consumer"])
    lost = acked - consumed
    down_s = time.monotonic() - killed_at
    victim.check_output("systemctl start kafka")
    rejoin_started = time.monotonic()
    wait_whole(drill["producer"])
    print(
        f"\nkafka broker-kill drill: {len(acked)} of {records} records acknowledged "
        f"(acks=all), {errors.total()} send errors {dict(errors.most_common(2))}, "
        f"{len(lost)} acknowledged records lost, "
        f"{len(consumed)} consumed while mach-c1 was down for {down_s:.0f} s; "
        f"partitions fully replicated {time.monotonic() - rejoin_started:.0f} s after restart"
    )
    assert len(acked) == records and not errors, errors.most_common(5)
    assert lost == set(), sorted(lost)[:20]


def test_a_rolling_restart_keeps_the_cluster_writable(drill):
    """mach_action=restart (what a minor upgrade ends with) under an acks=all producer: one
    member at a time, each back in sync before the next; nothing acknowledged is lost and the
    cluster is whole afterwards."""
    records = RATE * 60
    consume(drill, "drill-restart")
    produce(drill, records)
    started = time.monotonic()
    proc = playbook(
        "-i", "inventories/local", "playbooks/kafka.yml", "-e", "mach_action=restart"
    )  # fmt: skip
    restart_s = time.monotonic() - started
    assert proc.returncode == 0, report(proc)
    assert all(recap(proc.stdout)[h]["changed"] == 1 for h in HOSTS), report(proc)
    wait_inactive(drill["producer"], "kafka-drill-producer", 180)
    acked, errors = acknowledged(drill["producer"])
    deadline = time.monotonic() + 150
    while not acked <= consumed_values(drill["consumer"]) and time.monotonic() < deadline:
        time.sleep(2)
    lost = acked - consumed_values(drill["consumer"])
    print(
        f"\nkafka rolling restart: 3 members in {restart_s:.0f} s under load; {len(acked)} of "
        f"{records} records acknowledged, {errors.total()} send errors "
        f"{dict(errors.most_common(2))}, {len(lost)} lost"
    )
    assert len(acked) == records and not errors, errors.most_common(5)
    assert lost == set(), sorted(lost)[:20]
    check = playbook("-i", "inventories/local", "playbooks/kafka.yml", "-e", "mach_action=check")
    assert check.returncode == 0, report(check)
