"""requirements.yml pins the collections; the installed `ansible` bundle must match."""

import json

import yaml

from conftest import ROOT, run, tool


def test_installed_collections_match_requirements():
    wanted = {
        c["name"]: c["version"]
        for c in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    }
    proc = run([tool("ansible-galaxy"), "collection", "list", "--format", "json"])
    assert proc.returncode == 0, proc.stderr
    installed: dict[str, str] = {}
    for path_collections in json.loads(proc.stdout).values():
        for name, info in path_collections.items():
            installed.setdefault(name, info["version"])
    mismatched = {n: (v, installed.get(n)) for n, v in wanted.items() if installed.get(n) != v}
    assert not mismatched, f"requirements.yml pin vs installed: {mismatched}"


def test_requirements_cover_the_collections_roles_use():
    used = set()
    for path in [
        *ROOT.glob("roles/**/*.yml"),
        *ROOT.glob("playbooks/*.yml"),
        *ROOT.glob("molecule/**/*.yml"),
    ]:
        for word in path.read_text().split():
            word = word.rstrip(":")
            parts = word.split(".")
            if (
                len(parts) == 3
                and parts[0] in {"community", "ansible", "kubernetes"}
                and parts[1] != "builtin"
            ):
                used.add(".".join(parts[:2]))
    pinned = {
        c["name"] for c in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    }
    assert used <= pinned, f"used but not pinned: {sorted(used - pinned)}"
