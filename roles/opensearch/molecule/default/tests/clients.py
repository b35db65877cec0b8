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
    today's, and `other` (not a daily index), stay. `daily` holds `{day}` (YYYY-MM-DD)."""
    old, today = (
        daily.format(day="2020-01-01"),
        daily.format(day=time.strftime("%Y-%m-%d", time.gmtime())),
    )
    for index in (old, other):
        assert rest("os-a", f"/{index}", "PUT")[0] == 200
    out = node(on).run(f"systemctl start {name}-retention.service")
    assert out.rc == 0, out.stderr
    said = node(on).check_output(f"journalctl -u {name}-retention.service -o cat -n 3")
    assert f"deleted: {old}" in said
    assert rest("os-a", f"/{old}")[0] == 404
    assert rest("os-a", f"/{other}")[0] == 200 and rest("os-a", f"/{today}")[0] == 200
    assert rest("os-a", f"/{other}", "DELETE")[0] == 200


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
