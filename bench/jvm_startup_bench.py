"""Benchmark: CPU a JVM of the platform spends to start and answer, with each set of extra flags
(docs/adr/0031: test environments run the client compiler alone). Prints figures; asserts
nothing.

An OpenSearch node from the bundle (single node, security off, as the bundle's own test starts
it) is started as `nobody`, given an index, 200 documents and a search; the figure is the
process's user and system CPU when the search has answered, and the wall time to get there.

    python bench/jvm_startup_bench.py --runs 2 --heap 384m
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import urllib3

from mach_ops.testing import opensearch_single_node

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = Path(os.environ.get("MACH_ARTIFACTS_DIR", "/var/lib/mach-platform/artifacts"))
FLAG_SETS = {
    "full tiers (a site)": [],
    "client compiler alone (tests)": ["-XX:TieredStopAtLevel=1"],
}


HTTP = urllib3.PoolManager(timeout=30, retries=False)


def call(url: str, method: str = "GET", body: bytes | None = None, kind: str = "json") -> bytes:
    headers = {"Content-Type": f"application/{'x-ndjson' if kind == 'ndjson' else 'json'}"}
    response = HTTP.request(method, url, body=body, headers=headers)
    if response.status >= 300:
        raise RuntimeError(f"{method} {url}: {response.status}")
    return response.data


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(home: Path, work: Path, heap: str, flags: list[str]) -> tuple[float, float]:
    node_dir = Path(tempfile.mkdtemp(dir=work))
    argv, http = opensearch_single_node(home, node_dir, heap, flags, "bench")
    started = time.monotonic()
    node = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http}"
    try:
        while True:
            try:
                call(base)
                break
            except urllib3.exceptions.HTTPError:
                if node.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("the node did not answer") from None
                time.sleep(0.2)
        call(f"{base}/bench", "PUT", json.dumps({"settings": {"number_of_replicas": 0}}).encode())
        lines = "".join(f'{{"index":{{}}}}\n{{"n":{i},"t":"hello {i}"}}\n' for i in range(200))
        call(f"{base}/bench/_bulk?refresh=true", "POST", lines.encode(), "ndjson")
        call(f"{base}/bench/_search?q=hello")
        return cpu_seconds(node.pid), time.monotonic() - started
    finally:
        node.terminate()
        node.wait(timeout=60)
        shutil.rmtree(node_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--heap", default="384m")
    args = parser.parse_args()
    archive = next((BUNDLE / "files" / "opensearch").glob("*/opensearch-*.tar.gz"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        (home,) = work.glob("opensearch-*")
        work.chmod(0o755)  # the node runs as nobody and must reach its home
        print(f"OpenSearch from {archive.name}, heap {args.heap}, {os.cpu_count()} cores")
        for label, flags in FLAG_SETS.items():
            for i in range(args.runs):
                cpu, wall = one_run(home, work, args.heap, flags)
                print(f"{label:32} run {i + 1}: CPU {cpu:5.1f} s, wall {wall:5.1f} s")


if __name__ == "__main__":
    main()
