"""`python -m mach_service_kit.openapi <module:factory> [--check FILE | --write FILE]`: the
service's OpenAPI document, exported from the app itself (contracts/openapi/<service>/openapi.json)
or compared with the exported file, which fails on drift."""

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

# The app is built, never started: no database or Redis is reached, so dev URLs suffice.
EXPORT_ENV = {
    "MACH_ENVIRONMENT": "dev",
    "MACH_DATABASE_URL": "postgresql+asyncpg://export@localhost/export",
    "MACH_REDIS_URL": "redis://export@localhost/0",
}


def render(target: str) -> str:
    added = {k: v for k, v in EXPORT_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        module, _, factory = target.partition(":")
        app = getattr(importlib.import_module(module), factory or "create_app")()
        return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    finally:
        for name in added:
            del os.environ[name]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", help="module:factory building the app")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", type=Path)
    mode.add_argument("--write", type=Path)
    args = parser.parse_args()
    document = render(args.target)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(document)
        return 0
    if not args.check.exists() or args.check.read_text() != document:
        print(
            f"{args.check} differs from the app's OpenAPI: run `make -C services openapi` and "
            "commit the result (a breaking change needs a new /v version, docs/adr/0022)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
