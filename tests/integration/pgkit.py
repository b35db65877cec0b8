"""A real PostgreSQL server for the integration tests: Debian's postgresql-15 binaries, a fresh
cluster in a temporary directory on a free loopback port, scram-sha-256 only, run as the
`postgres` system user (the server refuses root). Clients go through `psql`."""

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from vaultkit import _free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SUPERUSER_PASSWORD = "pg-integration-super"  # a throwaway test cluster's bootstrap password


def _as_postgres(*cmd: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True)


@contextmanager
def start_postgresql():
    """Yields the server's port; the cluster lives in a fresh directory under /tmp (pytest's
    own are private to root) and is removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="mach-pg-"))
    shutil.chown(base, "postgres")
    pwfile = base / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    shutil.chown(pwfile, "postgres")
    data = base / "data"
    _as_postgres(
        str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
        "-A", "scram-sha-256", f"--pwfile={pwfile}",
    )  # fmt: skip
    pwfile.unlink()
    port = _free_port()
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    _as_postgres(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"),
        "-w", "start",
    )  # fmt: skip
    try:
        yield port
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(base)


def psql(port: int, user: str, password: str, sql: str, database: str = "postgres"):
    """Run SQL as `user`; returns the CompletedProcess (stdout: unaligned tuples)."""
    return subprocess.run(
        ["psql", "-X", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", database,
         "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
