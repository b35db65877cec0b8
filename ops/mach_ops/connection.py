"""The mach_exec Nornir connection: run a shell command on a host over the transport its
Ansible inventory names (docker exec for the local fleet, ssh for VMs, local for the
controller itself)."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from typing import Any, Protocol

from nornir.core.configuration import Config


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str


class Runner(Protocol):
    def run(self, command: str, timeout: float) -> CommandResult: ...

    def close(self) -> None: ...


class LocalRunner:
    def run(self, command: str, timeout: float) -> CommandResult:
        proc = subprocess.run(
            ["/bin/sh", "-c", command], capture_output=True, text=True, timeout=timeout, check=False
        )
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)

    def close(self) -> None:
        return None


class SshRunner:
    def __init__(
        self, host: str, user: str | None, port: int | None, become: bool, args: str
    ) -> None:
        self.argv = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", *shlex.split(args)]
        if port:
            self.argv += ["-p", str(port)]
        self.argv.append(f"{user}@{host}" if user else host)
        self.become = become

    def run(self, command: str, timeout: float) -> CommandResult:
        remote = f"sudo -n /bin/sh -c {shlex.quote(command)}" if self.become else command
        proc = subprocess.run(
            [*self.argv, remote], capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode == 255:
            raise ConnectionError(proc.stderr.strip() or "ssh failed")
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)

    def close(self) -> None:
        return None


class DockerRunner:
    def __init__(self, container: str, docker_host: str | None) -> None:
        import docker  # local import: only the docker transport needs it

        self.client = (
            docker.DockerClient(base_url=docker_host) if docker_host else docker.from_env()
        )
        self.container = self.client.containers.get(container)
        if self.container.status != "running":
            raise ConnectionError(f"container {container} is {self.container.status}")

    def run(self, command: str, timeout: float) -> CommandResult:
        rc, (out, err) = self.container.exec_run(["/bin/sh", "-c", command], demux=True)
        return CommandResult(
            int(rc), (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace")
        )

    def close(self) -> None:
        self.client.close()


class MachExec:
    """Nornir ConnectionPlugin; `connection` is a Runner."""

    connection: Runner

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        extras = extras or {}
        transport = extras.get("transport", "ssh")
        if hostname is None:
            raise ConnectionError("no address for host")
        if transport == "docker":
            self.connection = DockerRunner(hostname, extras.get("docker_host"))
        elif transport == "local":
            self.connection = LocalRunner()
        else:
            self.connection = SshRunner(
                hostname, username, port, bool(extras.get("become")), extras.get("ssh_args", "")
            )

    def close(self) -> None:
        self.connection.close()
