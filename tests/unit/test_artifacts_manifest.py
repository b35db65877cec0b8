"""The artifact manifest and the builder's bookkeeping, without any registry."""

import gzip
import json
import re

import pytest
import yaml

from conftest import ROOT, run, tool
from mach_ops.artifacts import (
    Artifact,
    ArtifactError,
    build,
    build_one,
    deterministic_tar_gz,
    load_manifest,
    package_set,
    sha256,
    site_list,
)

MANIFEST = ROOT / "artifacts" / "manifest.yml"


def test_manifest_is_complete_and_pinned():
    m = load_manifest(MANIFEST)
    assert m.artifacts
    for a in m.artifacts:
        assert a.licence and a.source["registry"] in {"pypi", "maven", "go", "debian"}
        assert all(v and len(v) == 64 for v in a.files.values()), f"{a.name} not pinned"
    roles = {a.role for a in m.artifacts if a.kind == "debian"}
    assert "common" in roles


def _defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text())


def test_every_roles_packages_are_in_its_debian_artifact():
    """A role's apt packages are in the bundle's closure for that role, so it converges with
    no network but the mirror."""
    debs = {
        a.role: set(a.source["packages"])
        for a in load_manifest(MANIFEST).artifacts
        if a.kind == "debian"
    }
    assert set(_defaults("common")["common_packages"]) <= debs["common"]
    assert {_defaults("kafka")["kafka_java_package"]} <= debs["kafka"]
    # OpenSearch runs on the same Java runtime the kafka set brings into the apt repository
    assert {_defaults("opensearch")["opensearch_java_package"]} <= debs["kafka"]
    redis = _defaults("redis")
    assert set(redis["redis_packages"] + redis["redis_exporter_packages"]) <= debs["redis"]
    postgresql = _defaults("postgresql")
    assert set(postgresql["postgresql_packages"]) <= debs["postgresql"]
    assert set(postgresql["postgresql_exporter_packages"]) <= debs["postgresql"]
    mirror_tasks = (ROOT / "roles/mirror/tasks/deploy.yml").read_text()
    assert all(pkg in mirror_tasks for pkg in debs["mirror"])


def test_roles_pin_the_manifests_version_and_checksum():
    """A role that fetches a bundle file pins the same version and sha256 as the manifest."""
    artifacts = {a.name: a for a in load_manifest(MANIFEST).artifacts}
    kafka = _defaults("kafka")
    assert kafka["kafka_version"] == artifacts["kafka"].version
    assert (
        kafka["kafka_archive_sha256"]
        == artifacts["kafka"].files[f"kafka-{kafka['kafka_version']}-jars.tar.gz"]
    )
    jar = f"jmx_prometheus_javaagent-{kafka['kafka_jmx_exporter_version']}.jar"
    assert kafka["kafka_jmx_exporter_version"] == artifacts["jmx-exporter"].version
    assert kafka["kafka_jmx_exporter_sha256"] == artifacts["jmx-exporter"].files[jar]
    vault = _defaults("vault")
    assert vault["vault_version"] == artifacts["openbao"].version
    assert vault["vault_binary_sha256"] == artifacts["openbao"].files["bao"]
    search = _defaults("opensearch")
    assert search["opensearch_version"] == artifacts["opensearch"].version
    assert (
        search["opensearch_archive_sha256"]
        == artifacts["opensearch"].files[f"opensearch-{search['opensearch_version']}.tar.gz"]
    )
    minio = _defaults("minio")
    assert minio["minio_version"] == artifacts["minio"].version
    assert minio["minio_binary_sha256"] == artifacts["minio"].files["minio"]
    jaeger = _defaults("jaeger")
    assert jaeger["jaeger_version"] == artifacts["jaeger"].version
    assert jaeger["jaeger_binary_sha256"] == artifacts["jaeger"].files["jaeger"]
    keycloak = _defaults("keycloak")
    assert keycloak["keycloak_version"] == artifacts["keycloak"].version
    assert (
        keycloak["keycloak_archive_sha256"]
        == artifacts["keycloak"].files[f"keycloak-quarkus-dist-{keycloak['keycloak_version']}.zip"]
    )
    services = _defaults("mach_services")
    assert services["mach_services_bundle_version"] == artifacts["services"].version
    assert services["mach_services_deps_sha256"] == artifacts["services"].files["deps.tar.gz"]


def test_services_runtime_is_built_from_every_unit_and_its_sources():
    """The services' artifact covers the kit and every service, and its fingerprint moves
    when a unit's sources do (so the bundle rebuilds their wheels), not otherwise."""
    (services,) = [a for a in load_manifest(MANIFEST).artifacts if a.kind == "python-services"]
    units = services.units()
    catalogue = yaml.safe_load((ROOT / "services" / "catalog.yml").read_text())
    assert set(units) == {"kit"} | {s["name"] for s in catalogue["services"]}
    assert services.fingerprint() == services.fingerprint()


def test_services_fingerprint_follows_the_units_sources(tmp_path):
    (services,) = [a for a in load_manifest(MANIFEST).artifacts if a.kind == "python-services"]
    for unit in ("kit", "shop"):
        src = tmp_path / "services" / unit / "src" / unit
        src.mkdir(parents=True)
        (src.parent.parent / "pyproject.toml").write_text(f"[project]\nname = '{unit}'\n")
        (src.parent.parent / "requirements.lock").write_text("fastapi==1.0\n")
        (src / "__init__.py").write_text("")
    (tmp_path / "services" / "notes").mkdir()  # not a unit: no pyproject, no lock
    local = Artifact(**{**services.__dict__, "base": tmp_path})
    assert set(local.units()) == {"kit", "shop"}
    first = local.fingerprint()
    cache = tmp_path / "services" / "shop" / "src" / "shop" / "__pycache__"
    cache.mkdir()
    (cache / "x.pyc").write_bytes(b"compiled")
    assert local.fingerprint() == first
    (tmp_path / "services" / "shop" / "src" / "shop" / "__init__.py").write_text("X = 1\n")
    assert local.fingerprint() != first
    changed = local.fingerprint()
    (tmp_path / "services" / "kit" / "requirements.lock").write_text("fastapi==1.1\n")
    assert local.fingerprint() != changed


def test_bad_manifest_is_refused_with_reasons(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text(
        yaml.safe_dump(
            {
                "schema": 1,
                "go_toolchain": "go0",
                "debian_release": "bookworm",
                "artifacts": [
                    {
                        "name": "x",
                        "version": "1",
                        "kind": "tarball",
                        "source": {},
                        "files": {},
                        "licence": "MIT",
                    },
                    {"name": "y", "version": "1", "kind": "go-binary", "files": {}},
                ],
            }
        )
    )
    with pytest.raises(ArtifactError) as err:
        load_manifest(bad)
    assert "kind 'tarball' is not one of" in str(err.value)
    assert "artifacts[1] (y): missing source, licence" in str(err.value)


def test_deterministic_tar_gz(tmp_path):
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "b.jar").write_bytes(b"b")
    (src / "d" / "a.jar").write_bytes(b"a")
    deterministic_tar_gz(src, tmp_path / "one.tar.gz", "p")
    (src / "b.jar").touch()  # a new mtime changes nothing
    deterministic_tar_gz(src, tmp_path / "two.tar.gz", "p")
    assert sha256(tmp_path / "one.tar.gz") == sha256(tmp_path / "two.tar.gz")
    assert gzip.decompress((tmp_path / "one.tar.gz").read_bytes())


def test_changed_source_under_the_same_version_is_refused(tmp_path):
    """A cached file whose sha256 differs from the pin fails, naming the way to re-pin."""
    m = load_manifest(MANIFEST)
    a = m.artifacts[0]
    (name,) = a.files
    cached = tmp_path / a.directory
    cached.mkdir(parents=True)
    (cached / name).write_bytes(b"not the pinned binary")
    (cached / ".built.json").write_text(
        json.dumps(
            {
                "fingerprint": a.fingerprint(),
                "files": {name: sha256(cached / name)},
            }
        )
    )
    with pytest.raises(ArtifactError) as err:
        build_one(m, a, tmp_path, pin=False)
    assert "checksum mismatch" in str(err.value)
    assert f"mach artifacts build --only {a.name} --pin" in str(err.value)


def test_site_list_names_every_artifact():
    m = load_manifest(MANIFEST)
    listing = site_list(m)
    for a in m.artifacts:
        assert f"| {a.name} | {a.version} |" in listing
    assert "UNPINNED" not in listing
    for p in m.site_provided:
        assert f"| {p['name']} | {p['version']} |" in listing


def test_site_provided_versions_are_the_roles():
    """A component the site provides is installed at the version the manifest names."""
    m = load_manifest(MANIFEST)
    assert "grafana" in {p["name"] for p in m.site_provided}
    for p in m.site_provided:
        if "role" in p:
            role = ROOT / "roles" / p["role"]
            defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
            assert str(defaults[f"{p['role']}_version"]) == str(p["version"]), p["name"]
    plugin = next(p for p in m.site_provided if p["name"] == "logstash-output-opensearch")
    logstash = yaml.safe_load((ROOT / "roles/logstash/defaults/main.yml").read_text())
    assert str(logstash["logstash_opensearch_plugin_version"]) == str(plugin["version"])


def test_site_provided_entry_needs_its_fields(tmp_path):
    raw = yaml.safe_load(MANIFEST.read_text())
    raw["site_provided"] = [{"name": "kong", "version": "3.9", "url": "x"}]
    bad = tmp_path / "manifest.yml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ArtifactError, match=r"site_provided\[0\] \(kong\).*unknown \['url'\]"):
        load_manifest(bad)


def test_roles_download_only_from_the_mirror_variables():
    """No role fetches from a URL of its own: downloads go through mach_files_repo/mach_apt_repo."""
    offenders = []
    for path in ROOT.glob("roles/*/*/**/*"):
        if (
            path.is_file()
            and "molecule" not in path.parts
            and path.suffix in {".yml", ".j2", ".yaml"}
        ):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                for url in re.findall(r"\b(?:https?|ftp)://([^\s\"']+)", line):
                    # Loopback, a listen address (0.0.0.0) or a templated host: no download.
                    if not url.startswith(("127.0.0.1", "localhost", "0.0.0.0", "{{")):
                        offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, offenders


def test_pinning_writes_a_lint_clean_manifest(tmp_path):
    copy = tmp_path / "manifest.yml"
    copy.write_text(MANIFEST.read_text())
    m = load_manifest(copy)
    a = m.artifacts[0]
    m.pin(a.name, {name: "0" * 64 for name in a.files})
    assert load_manifest(copy).artifacts[0].files == {name: "0" * 64 for name in a.files}
    proc = run([tool("yamllint"), "-s", "-c", str(ROOT / ".yamllint"), str(copy)])
    assert proc.returncode == 0, proc.stdout


def test_repinning_changes_only_the_checksums(tmp_path):
    """A changed checksum is written in place: every other line (comments in the middle of
    the file, quoting) stays as it was; only that artifact's lines differ."""
    copy = tmp_path / "manifest.yml"
    copy.write_text(MANIFEST.read_text())
    m = load_manifest(copy)
    a = m.artifacts[-1]
    m.pin(a.name, {name: "f" * 64 for name in a.files})
    before, after = MANIFEST.read_text().splitlines(), copy.read_text().splitlines()
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == len(a.files) and all(new.endswith("f" * 64) for _, new in changed)
    assert load_manifest(copy).artifacts[-1].files == {name: "f" * 64 for name in a.files}


def _fake_cached(cache, a, content: bytes) -> str:
    """Put `a` into the cache as a finished build whose file holds `content`."""
    (name,) = a.files
    d = cache / a.directory
    d.mkdir(parents=True)
    (d / name).write_bytes(content)
    digest = sha256(d / name)
    (d / ".built.json").write_text(
        json.dumps({"fingerprint": a.fingerprint(), "files": {name: digest}})
    )
    return digest


def test_only_still_rewrites_the_whole_index(tmp_path):
    """`--only X` rebuilds X, and the index and SHA256SUMS still list every artifact whose
    cached build is current, and name the ones not built yet."""
    m = load_manifest(MANIFEST)
    m.artifacts = [a for a in m.artifacts if a.kind == "pypi-binary"][:2]
    assert len(m.artifacts) == 2
    first, second = m.artifacts
    for a, body in ((first, b"one"), (second, b"two")):
        (name,) = a.files
        a.files[name] = _fake_cached(tmp_path, a, body)
    said = []
    build(m, tmp_path, tmp_path / "gnupg", only=[first.name], say=said.append)
    index = json.loads((tmp_path / "index.json").read_text())
    assert set(index) == {first.name, second.name}
    assert len((tmp_path / "SHA256SUMS").read_text().splitlines()) == 2
    assert not any("not built yet" in line for line in said)

    # A stale second artifact is left out of the index and named.
    (tmp_path / second.directory / ".built.json").unlink()
    said.clear()
    build(m, tmp_path, tmp_path / "gnupg", only=[first.name], say=said.append)
    assert set(json.loads((tmp_path / "index.json").read_text())) == {first.name}
    assert any(f"not built yet: {second.name}" in line for line in said), said


def test_distribution_entries_are_checked(tmp_path):
    """A maven-distribution entry without modules or descriptor is refused by name."""
    bad = tmp_path / "manifest.yml"
    bad.write_text(
        yaml.safe_dump(
            {
                "schema": 1,
                "go_toolchain": "go1.0",
                "debian_release": "bookworm",
                "artifacts": [
                    {
                        "name": "search",
                        "version": "1",
                        "kind": "maven-distribution",
                        "licence": "x",
                        "source": {"registry": "maven", "coordinates": ["g:a:1"]},
                        "files": {"search-1.tar.gz": None},
                    }
                ],
            }
        )
    )
    with pytest.raises(ArtifactError) as err:
        load_manifest(bad)
    assert "search" in str(err.value) and "modules" in str(err.value)


def test_debian_pin_is_the_package_set_not_the_versions():
    """A Debian suite moves under its name (security updates): the manifest pins which
    packages the closure holds, so an updated version passes and a new package does not."""
    before = package_set(["curl_7.88.1-10+deb12u14_amd64.deb", "adduser_3.134_all.deb"])
    after = package_set(["adduser_3.134_all.deb", "curl_7.88.1-10+deb12u15_amd64.deb"])
    assert before == after == "adduser all\ncurl amd64\n"
    grown = package_set(["adduser_3.134_all.deb", "curl_7.88.1_amd64.deb", "libx_1_amd64.deb"])
    assert grown != before
    debian = [a for a in load_manifest(MANIFEST).artifacts if a.kind == "debian"]
    assert debian and all(set(a.files) == {"packages.set"} for a in debian)
