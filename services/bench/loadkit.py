"""What the load drivers share: a service served as its unit runs it (uvicorn, one worker,
production-like settings with a JWKS, on a throwaway PostgreSQL 15 cluster; the services it
calls served the same way from their own venvs), and a phase that drives one path with
`concurrency` connections and prints its figures.

The driver runs on the same machine as the service (both share its cores): the figures are a
floor, not the service's ceiling."""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from mach_service_kit.testing import TokenIssuer, free_port, postgres_server

Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def phase(base: str, name: str, call: Call, seconds: float, concurrency: int) -> None:
    """Drives `call` for `seconds` after a short warm-up; prints throughput and latencies."""
    latencies: list[float] = []
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(deadline: float, record: bool) -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                start = time.perf_counter()
                response = await call(client, counter)
                if record:
                    latencies.append(time.perf_counter() - start)
                    errors += response.status_code >= 400

        warm = time.perf_counter() + min(2.0, seconds / 5)
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    ms = [v * 1000 for v in latencies]
    print(
        f"{name:<7} {len(ms) / elapsed:8.0f} req/s  p50 {percentile(ms, 0.5):6.1f} ms  "
        f"p95 {percentile(ms, 0.95):6.1f} ms  p99 {percentile(ms, 0.99):6.1f} ms  "
        f"mean {statistics.fmean(ms):6.1f} ms  errors {errors}/{len(ms)}"
    )


@contextmanager
def served(
    service: str, issuer: TokenIssuer, env: dict[str, str] | None = None,
    bin_dir: Path | None = None,
) -> Iterator[str]:  # fmt: skip
    """The service migrated and running under uvicorn on its own throwaway PostgreSQL cluster,
    trusting `issuer`'s tokens, with `env` on top; yields its base URL. `bin_dir`: the venv
    it is installed in (this interpreter's by default; another service's for a dependency)."""
    with postgres_server() as pg:
        port = free_port()
        env = {**os.environ, "MACH_ENVIRONMENT": "test",
               "MACH_DATABASE_URL": pg.create_database(service),
               "MACH_JWT_JWKS_URL": issuer.jwks_url, "MACH_JWT_ISSUER": issuer.issuer,
               "MACH_LOG_LEVEL": "WARNING", "MACH_DATABASE_POOL_SIZE": "20",
               **(env or {})}  # fmt: skip
        bin_dir = bin_dir or Path(sys.executable).parent
        subprocess.run([str(bin_dir / f"{service}-migrate"), "upgrade", "head"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        server = subprocess.Popen(
            [str(bin_dir / "uvicorn"), "--factory", f"{service}.main:create_app", "--host",
             "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(10)


def options(doc: str | None, seeds: tuple[str, int]) -> argparse.Namespace:
    """A driver's command line: --seconds, --concurrency and its seed count (`seeds`: the
    option's name and default)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(f"--{seeds[0]}", type=int, default=seeds[1])
    return parser.parse_args()


Drive = Callable[[str, str, argparse.Namespace], Awaitable[None]]


def main(service: str, doc: str | None, drive: Drive, seeds: tuple[str, int]) -> None:
    """A driver of one service: `drive(base, editor token, args)` runs its phases."""
    args = options(doc, seeds)
    with TokenIssuer() as issuer, served(service, issuer) as base:
        asyncio.run(drive(base, issuer.token(roles=[f"{service}-editor"], lifetime=3600), args))
