"""Helpers of the Vault integration tests: a real OpenBao server from the bundle, and
mach.platform modules run through Ansible itself; free ports and HTTP readiness for the
other integration tests' servers."""

import json
import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from conftest import ROOT, run, tool
from mach_ops.artifacts import load_manifest
from mach_ops.testing import free_port as _free_port  # the other integration kits import it here

STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
BUNDLE = Path(os.environ.get("MACH_ARTIFACTS_DIR", STATE / "artifacts"))
TOKEN = "integration-root"  # a dev server's throwaway root token


def bao_binary() -> Path:
    manifest = load_manifest(ROOT / "artifacts" / "manifest.yml")
    (a,) = [a for a in manifest.artifacts if a.name == "openbao"]
    return BUNDLE / a.directory / "bao"


def await_http(url: str, proc: subprocess.Popen, seconds: float, what: str) -> None:
    """Until `url` answers; fails when `proc` exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            assert proc.poll() is None, f"{what} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"{what} did not answer {url} in {seconds} s"
            time.sleep(0.3)


@contextmanager
def start_bao(dev: bool, storage: Path | None = None, join: str | None = None):
    """A `bao server` on a free port: dev mode (unsealed, root token TOKEN), or a real server
    with Raft storage under `storage` (uninitialised on first start; with `join`, the URL of
    a cluster member it joins through retry_join). Yields its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    if dev:
        args = ["-dev", f"-dev-root-token-id={TOKEN}", f"-dev-listen-address=127.0.0.1:{port}"]
    else:
        assert storage is not None
        storage.mkdir(parents=True, exist_ok=True)
        config = storage / "server.hcl"
        (storage / "raft").mkdir(exist_ok=True)
        cluster = _free_port()
        retry_join = f'  retry_join {{ leader_api_addr = "{join}" }}\n' if join else ""
        config.write_text(  # Raft: the storage the vault role uses
            f'storage "raft" {{\n  path = "{storage / "raft"}"\n  node_id = "{storage.name}"\n'
            f"{retry_join}}}\n"
            f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
            f'  cluster_address = "127.0.0.1:{cluster}"\n  tls_disable = true\n}}\n'
            f'api_addr = "{url}"\ncluster_addr = "http://127.0.0.1:{cluster}"\n'
        )
        args = [f"-config={config}"]
    proc = subprocess.Popen(
        [str(bao_binary()), "server", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/v1/sys/seal-status", timeout=2) as resp:
                    status = json.load(resp)
                if not dev or status["sealed"] is False:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "bao server did not come up"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def literal(value):
    """Ad hoc arguments are templates: Vault's own `{{name}}` placeholders must pass as text."""
    if isinstance(value, dict):
        return {k: literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [literal(v) for v in value]
    if isinstance(value, str) and "{{" in value:
        return "{% raw %}" + value + "{% endraw %}"
    return value


def module(url, name, args, *flags, token=TOKEN):
    """Run one module ad hoc through Ansible against Vault; returns (returncode, its result)."""
    return ansible_module(name, args, {"VAULT_ADDR": url, "VAULT_TOKEN": token}, *flags)


def ansible_module(name, args, env, *flags):
    """Run one module ad hoc through Ansible on the controller, with `env` added to the
    environment; returns (returncode, its result)."""
    proc = run(
        [tool("ansible"), "localhost", "-m", name if "." in name else f"mach.platform.{name}",
         "-a", json.dumps(literal(args)),
         *flags],
        env={
            **env,
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections"),
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "json",
        },
    )  # fmt: skip
    assert "{" in proc.stdout, proc.stdout + proc.stderr
    # The json callback's document sits between profile_tasks' header and summary.
    document, _ = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("\n{") + 1 :])
    return proc.returncode, document["plays"][0]["tasks"][0]["hosts"]["localhost"]
