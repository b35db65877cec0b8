"""mach.platform.mitogen_linear (ansible.cfg's strategy, docs/adr/0018): a node keeps one
interpreter for the whole run, and plays on the controller only run the plain linear strategy
(where Molecule's Docker driver creates and destroys nodes). An async job polled by
async_status finishes either way."""

import json
import re
import sys

import pytest
import yaml

from conftest import ROOT, run, tool

NAME = "mach.platform.mitogen_linear"

# Each task prints the PID of the process that started its shell: with Mitogen that is the
# node's one interpreter, under linear a new one per task.
PPIDS = """
- name: {name}
  hosts: {hosts}
  gather_facts: false
  tasks:
    - name: First task
      ansible.builtin.shell: echo "ppid=$PPID"
      changed_when: false
    - name: Second task
      ansible.builtin.shell: echo "ppid=$PPID"
      changed_when: false
    - name: A task polled by async_status, as Molecule's Docker driver creates its nodes
      ansible.builtin.command: sleep 1
      async: 60
      poll: 0
      changed_when: false
      register: __job
    - name: The job finishes
      ansible.builtin.async_status:
        jid: "{{{{ __job.ansible_job_id }}}}"
      register: __done
      until: __done.finished
      retries: 30
      delay: 1
"""


def _ppids(tmp_path, hosts, strategy=None, interpreter=sys.executable):
    """interpreter=None: the node's Python is the one ansible.cfg names."""
    (tmp_path / "play.yml").write_text(PPIDS.format(name="Two tasks and an async job", hosts=hosts))
    node = "all:\n  hosts:\n    node:\n      ansible_connection: local\n"
    if interpreter:
        node += f"      ansible_python_interpreter: {interpreter}\n"
    (tmp_path / "hosts.yml").write_text(node)
    env = {"ANSIBLE_STRATEGY": strategy} if strategy else {}
    proc = run(
        [
            tool("ansible-playbook"),
            "-v",
            "-i",
            str(tmp_path / "hosts.yml"),
            str(tmp_path / "play.yml"),
        ],
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return re.findall(r"ppid=(\d+)", proc.stdout)


def test_strategy_documented_for_ansible_doc():
    proc = run([tool("ansible-doc"), "-t", "strategy", "--json", NAME])
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[NAME]["doc"]
    assert "Mitogen" in doc["short_description"] or "Mitogen" in " ".join(doc["description"])


def test_ansible_cfg_runs_it():
    proc = run([tool("ansible-config"), "dump", "--only-changed", "--format", "json"])
    assert proc.returncode == 0, proc.stderr
    settings = {s["name"]: s["value"] for s in json.loads(proc.stdout) if "name" in s}
    assert settings["DEFAULT_STRATEGY"] == NAME
    # Molecule writes its own ansible.cfg: its scenarios run the same strategy and connection
    molecule = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())
    assert molecule["provisioner"]["config_options"]["defaults"]["strategy"] == NAME
    assert molecule["provisioner"]["connection_options"]["ansible_connection"] == "docker"
    # The nodes' Python by its path in both: a discovered one is probed again and started anew
    # for every task under Mitogen (docs/adr/0018).
    assert settings["INTERPRETER_PYTHON"] == "/usr/bin/python3"
    assert molecule["provisioner"]["config_options"]["defaults"]["interpreter_python"] == (
        "/usr/bin/python3"
    )


@pytest.mark.parametrize("strategy", [None, "linear"])
def test_a_node_keeps_one_interpreter_for_the_run(tmp_path, strategy):
    first, second = _ppids(tmp_path, "node", strategy)
    if strategy is None:
        assert first == second  # Mitogen: one interpreter for every task
    else:
        assert first != second  # linear: a new interpreter per task


def test_the_configured_interpreter_is_kept_for_the_run(tmp_path):
    """A node without ansible_python_interpreter gets ansible.cfg's, and keeps one for the run."""
    first, second = _ppids(tmp_path, "node", interpreter=None)
    assert first == second


def test_controller_plays_run_plain_linear(tmp_path):
    """hosts: localhost runs without Mitogen: a new interpreter per task."""
    first, second = _ppids(tmp_path, "localhost")
    assert first != second
