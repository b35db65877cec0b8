"""Ansible's linear strategy through Mitogen, except for plays on the controller itself."""

from __future__ import annotations

from typing import Any

import ansible_mitogen.loaders
import ansible_mitogen.strategy

DOCUMENTATION = r"""
name: mitogen_linear
short_description: The linear strategy, with Mitogen's persistent interpreters on the nodes
description:
  - Runs a play as Ansible's C(linear) strategy does, task by task across the hosts, but
    through Mitogen (the C(mitogen) Python package), which keeps one Python interpreter per
    node up for the whole run and sends it each module over its connection, instead of
    starting an interpreter per task. Most of a no-change converge is that start-up
    (docs/adr/0018 has the figures).
  - Only connections given by their short names (C(docker), C(ssh), C(local) ...) go through
    Mitogen; any other (C(ansible.builtin.ssh), C(community.docker.docker_api) ...) runs as
    under C(linear). The local fleet and Molecule's nodes use C(docker); the dev, staging and
    prod inventories keep C(ansible.builtin.ssh).
  - A play whose hosts are only the controller (C(localhost)), or whose connection is
    C(local), runs with the plain C(linear) strategy. Molecule's Docker driver creates and
    removes its nodes there (C(async) C(docker_container) tasks polled by C(async_status)),
    and its destroy step hung under Mitogen in a trial; nothing on the controller gains from
    Mitogen either.
  - Set C(ANSIBLE_STRATEGY=linear) to run without Mitogen (for a comparison or a bug report).
author: mach platform team
requirements:
  - mitogen (pinned in requirements/constraints.txt)
"""

_Linear: Any = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)

_CONTROLLER = {"localhost", "127.0.0.1"}
_LOCAL = {"local", "ansible.builtin.local"}


def _on_controller_only(play: Any) -> bool:
    hosts = play.hosts if isinstance(play.hosts, list) else [play.hosts]
    return play.connection in _LOCAL or set(hosts) <= _CONTROLLER


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):  # type: ignore[misc]
    def run(self, iterator: Any, play_context: Any, result: int = 0) -> Any:
        if _on_controller_only(iterator._play):
            return _Linear.run(self, iterator, play_context)
        return super().run(iterator, play_context, result)
