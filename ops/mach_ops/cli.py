"""`mach` command line: fleet tooling on Nornir, and the air-gap artifact bundle.

    mach preflight -i inventories/<env> [--workers N] [--max-skew S] [--limit H,..] [--json]
    mach artifacts build [--cache DIR] [--only NAME ...] [--pin]
    mach artifacts list

Exits 0 on success, 1 when a check or build fails (so Jenkins and make see it), 2 on bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.plugins.runners import RunnersPluginRegister
from nornir.plugins.runners import ThreadedRunner

from mach_ops import artifacts
from mach_ops.connection import MachExec
from mach_ops.inventory import CONNECTION, AnsibleInventory, InventoryError
from mach_ops.preflight import MAX_CLOCK_SKEW_S, preflight
from mach_ops.report import FailureTable

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "artifacts" / "manifest.yml"
STATE = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
DEFAULT_CACHE = Path(os.environ.get("MACH_ARTIFACTS_DIR", STATE / "artifacts"))
DEFAULT_GNUPG = Path(os.environ.get("MACH_ARTIFACTS_GNUPGHOME", STATE / "gnupg"))


def fleet(source: str | Path, workers: int) -> Nornir:
    """A Nornir over the Ansible inventory at SOURCE."""
    ConnectionPluginRegister.register(CONNECTION, MachExec)
    RunnersPluginRegister.register("threaded", ThreadedRunner)
    inventory = AnsibleInventory(source).load()
    return Nornir(
        inventory=inventory,
        runner=ThreadedRunner(num_workers=workers),
        config=Config(),
    )


def run_preflight(
    source: str | Path, workers: int, max_skew: float, limit: Sequence[str] = ()
) -> FailureTable:
    nr = fleet(source, workers)
    if limit:
        unknown = sorted(set(limit) - set(nr.inventory.hosts))
        if unknown:
            raise InventoryError(f"--limit names hosts not in the inventory: {', '.join(unknown)}")
        nr = nr.filter(filter_func=lambda h: h.name in limit)
    table = FailureTable()
    nr.with_processors([table]).run(task=preflight, max_skew=max_skew)
    nr.close_connections(on_good=True, on_failed=True)
    return table  # failures, exceptions included, are in the table; main() turns them into rc 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mach", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pre = sub.add_parser("preflight", help="check every host before a converge")
    pre.add_argument("-i", "--inventory", required=True, help="inventory directory or file")
    pre.add_argument("--workers", type=int, default=50, help="hosts checked in parallel")
    pre.add_argument("--max-skew", type=float, default=MAX_CLOCK_SKEW_S, help="seconds")
    pre.add_argument("--limit", default="", help="comma-separated host names")
    pre.add_argument("--json", action="store_true", help="print JSON instead of a table")
    art = sub.add_parser("artifacts", help="the air-gap artifact bundle")
    art_sub = art.add_subparsers(dest="action", required=True)
    build = art_sub.add_parser("build", help="build the bundle (incremental)")
    build.add_argument("--manifest", type=Path, default=MANIFEST)
    build.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="bundle directory")
    build.add_argument("--gnupg", type=Path, default=DEFAULT_GNUPG, help="signing key home")
    build.add_argument("--only", nargs="*", default=[], help="artifact names")
    build.add_argument(
        "--pin",
        action="store_true",
        help="record missing or changed checksums in the manifest (review the diff)",
    )
    listing = art_sub.add_parser("list", help="what an air-gapped site must bring (Markdown)")
    listing.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)

    if args.command == "artifacts":
        return artifacts_main(args)
    limit = [h for h in args.limit.split(",") if h]
    try:
        table = run_preflight(args.inventory, args.workers, args.max_skew, limit)
    except InventoryError as exc:
        print(f"mach preflight: {exc}", file=sys.stderr)
        return 2
    print(table.as_json() if args.json else table.render())
    return 1 if table.failed_hosts else 0


def artifacts_main(args: argparse.Namespace) -> int:
    try:
        manifest = artifacts.load_manifest(args.manifest)
        if args.action == "list":
            print(artifacts.site_list(manifest))
            return 0
        started = time.monotonic()
        outcomes = artifacts.build(manifest, args.cache, args.gnupg, args.only, args.pin)
    except artifacts.ArtifactError as exc:
        print(f"mach artifacts: {exc}", file=sys.stderr)
        return 1
    built = sum(o.status == "built" for o in outcomes)
    size = sum(o.size for o in outcomes) / 1e6
    print(
        f"bundle {args.cache}: {len(outcomes)} artifacts ({built} built, "
        f"{len(outcomes) - built} cached), {size:.0f} MB, {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
