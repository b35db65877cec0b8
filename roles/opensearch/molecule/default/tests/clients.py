"""Checks the search cluster's clients (roles/jaeger, roles/logs) share in this scenario: each
runs its retention through the opensearch role's `index_retention` entry point, has a `check`
action and prechecks of the same kind."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

from test_default import rest

from mach_ops import runs
from mach_ops.molecule import node, secret

Action = Callable[..., subprocess.CompletedProcess[str]]


def retention_deletes_only_past_days(name: str, on: str, daily: str, other: str) -> None:
    """`<name>-retention.service` started now on node `on`: the index `daily` dated 2020 goes;
    today's, and `other` (not a daily index), stay. `daily` holds `{day}` (YYYY-MM-DD). The
    timers stay stopped meanwhile: a node's timer may fire in the middle of the test (daily,
    with up to 30 minutes' random delay) and delete the index first."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    old, current = daily.format(day="2020-01-01"), daily.format(day=today)
    timers = [
        n for n in ("os-a", "os-b", "os-c") if node(n).service(f"{name}-retention.timer").is_running
    ]
    for n in timers:
        node(n).check_output(f"systemctl stop {name}-retention.timer")
    try:
        for index in (old, other):
            assert rest("os-a", f"/{index}", "PUT")[0] == 200
        since = node(on).check_output("date '+%Y-%m-%d %H:%M:%S'")
        out = node(on).run(f"systemctl start {name}-retention.service")
        assert out.rc == 0, out.stderr
        said = node(on).check_output(
            f"journalctl -u {name}-retention.service -o cat --since '{since}'"
        )
        assert f"deleted: {old}" in said, said
        assert rest("os-a", f"/{old}")[0] == 404
        assert rest("os-a", f"/{other}")[0] == 200 and rest("os-a", f"/{current}")[0] == 200
    finally:
        rest("os-a", f"/{other}", "DELETE")
        for n in timers:
            node(n).check_output(f"systemctl start {name}-retention.timer")


def check_changes_nothing(action: Action, hosts: list[str], password: str) -> None:
    """`check` at -vvv: green on `hosts`, no change, the secret `password` nowhere in the output."""
    run = action("check", "-vvv")
    assert run.returncode == 0, run.stdout[-3000:]
    recap = runs.recap(run.stdout)
    assert sorted(recap) == sorted(hosts)
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap
    assert secret(password) not in run.stdout + run.stderr


def wrong_input_fails_before_any_change(action: Action, prefix: str) -> None:
    """Replicas the three-node cluster cannot place, and a short password: each run fails in the
    prechecks, says why, changes nothing and does not print the password."""
    replicas = action("deploy", "-e", f'{{"{prefix}_index_replicas": 3}}')
    said = " ".join(runs.plain(replicas.stdout + replicas.stderr).split())
    assert replicas.returncode != 0 and "fewer than the 3 members" in said
    assert "changed: [" not in replicas.stdout
    weak = action("deploy", "-e", f"{prefix}_opensearch_password=Tiny9pw")
    said = " ".join(runs.plain(weak.stdout + weak.stderr).split())
    assert weak.returncode != 0 and "at least 16 characters" in said
    assert "Tiny9pw" not in weak.stdout + weak.stderr
