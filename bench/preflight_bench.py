"""Benchmark: `mach preflight` over N simulated hosts. Prints figures; asserts nothing.

Each simulated host is an inventory entry with ansible_connection=local: the real probe runs
on this machine once per host, so the figure covers ansible-inventory parsing, Nornir's
threaded runner, the probe's processes and the checks, but no network latency.

    python bench/preflight_bench.py --hosts 1000 --workers 50
"""

from __future__ import annotations

import argparse
import resource
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from mach_ops.cli import run_preflight
from mach_ops.inventory import ansible_inventory_json

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ["data", "security", "observability", "storage", "mesh_cp", "app", "k8s_worker"]


def write_inventory(directory: Path, count: int) -> None:
    zones = ["zone-a", "zone-b", "zone-c"]
    me = socket.gethostname()
    hosts = {
        f"sim{i:05d}": {
            "ansible_connection": "local",
            "mach_zone": zones[i % 3],
            "mach_hostname": me,
        }
        for i in range(count)
    }
    names = sorted(hosts)
    children: dict[str, dict[str, dict[str, dict[str, str]]]] = {
        g: {"hosts": {h: {} for h in names[j :: len(GROUPS)]}} for j, g in enumerate(GROUPS)
    }
    (directory / "hosts.yml").write_text(
        yaml.safe_dump({"all": {"hosts": hosts, "children": children}})
    )
    gv = directory / "group_vars" / "all"
    gv.mkdir(parents=True)
    shared = ROOT / "inventories" / "shared" / "group_vars" / "all"
    for f in shared.iterdir():
        (gv / f.name).symlink_to(f)
    (gv / "99-env.yml").write_text(
        yaml.safe_dump(
            {
                "mach_env": "bench",
                "mach_domain": "bench.example",
                "mach_group_minimums": {"all": {"memory_mb": 1, "disk_gb": 0}},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mach-bench-") as tmp:
        inv = Path(tmp)
        write_inventory(inv, args.hosts)
        t0 = time.perf_counter()
        ansible_inventory_json(inv)
        t_inventory = time.perf_counter() - t0
        t0 = time.perf_counter()
        table = run_preflight(inv, args.workers, max_skew=1.0)
        t_total = time.perf_counter() - t0

    kinds = Counter(f.split(":")[0] for o in table.outcomes.values() for f in o.failures)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"hosts                      {len(table.outcomes)}")
    print(f"workers                    {args.workers}")
    print(f"ansible-inventory --list   {t_inventory:.2f} s")
    print(f"preflight (incl. inventory) {t_total:.2f} s")
    print(f"throughput                 {len(table.outcomes) / t_total:.0f} hosts/s")
    print(f"peak RSS (controller)      {rss_mb:.0f} MiB")
    print(f"hosts failed               {len(table.failed_hosts)} {dict(kinds) or ''}")


if __name__ == "__main__":
    main()
