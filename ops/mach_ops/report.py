"""Nornir processor that collects per-host outcomes and renders them as a table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task


@dataclass
class HostOutcome:
    failures: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


class FailureTable:
    """Collects each host's failures (check failures, or the exception that stopped it)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, HostOutcome] = {}

    def task_started(self, task: Task) -> None:
        return None

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        return None

    def task_instance_started(self, task: Task, host: Host) -> None:
        return None

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        outcome = self.outcomes.setdefault(host.name, HostOutcome())
        first = result[0]
        if first.exception is not None:
            outcome.failures.append(
                f"unreachable: {type(first.exception).__name__}: {first.exception}"
            )
        elif first.result is not None:
            outcome.failures.extend(first.result.failures)
            outcome.facts.update(first.result.facts)

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        return None

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None

    @property
    def failed_hosts(self) -> list[str]:
        return sorted(h for h, o in self.outcomes.items() if o.failures)

    def render(self) -> str:
        width = max((len(h) for h in self.outcomes), default=4)
        lines = [f"{'HOST':<{width}}  RESULT"]
        for host in sorted(self.outcomes):
            failures = self.outcomes[host].failures
            if not failures:
                lines.append(f"{host:<{width}}  ok")
            for i, failure in enumerate(failures):
                lines.append(f"{host if i == 0 else '':<{width}}  FAIL {failure}")
        total, bad = len(self.outcomes), len(self.failed_hosts)
        lines.append(f"{total} hosts checked, {total - bad} ok, {bad} failed")
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps(
            {
                h: {"failures": o.failures, "facts": o.facts}
                for h, o in sorted(self.outcomes.items())
            },
            indent=2,
        )
