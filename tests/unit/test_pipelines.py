"""GitHub Actions, GitLab CI, Jenkins and .ci/run call the same make targets, and only targets
the Makefile has: the pipelines cannot disagree."""

import re

import yaml

from conftest import ROOT

MAKE_CALL = re.compile(r"^make ((?:[a-z][a-z-]*\s?)+)")


def make_targets():
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.M))


def targets_called(commands):
    return {t for c in commands for m in MAKE_CALL.findall(c.strip()) for t in m.split()}


def commands(path):
    """The shell commands a pipeline file runs (not its comments)."""
    text = (ROOT / path).read_text()
    if path.endswith((".yml", ".yaml")):
        data = yaml.safe_load(text)
        if "jobs" in data:
            return [s["run"] for j in data["jobs"].values() for s in j["steps"] if "run" in s]
        return [c for j in data.values() if isinstance(j, dict) for c in j.get("script", [])]
    if path == "Jenkinsfile":
        return re.findall(r"\bsh ['\"]([^'\"]+)['\"]", text)
    return [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


PIPELINES = [".github/workflows/ci.yml", ".gitlab-ci.yml", "Jenkinsfile", ".ci/run"]


def test_every_pipeline_calls_existing_targets():
    targets = make_targets()
    for path in PIPELINES:
        called = targets_called(commands(path))
        assert called, f"{path} calls no make target"
        assert called <= targets, f"{path} calls unknown targets {called - targets}"


def test_the_three_pipelines_run_the_same_targets():
    jenkins = [c for c in commands("Jenkinsfile") if "DEPLOY_ENV" not in c]
    assert (
        targets_called(commands(".github/workflows/ci.yml"))
        == targets_called(commands(".gitlab-ci.yml"))
        == targets_called(jenkins)
        == {"venv", "lint", "unit", "services", "molecule", "site"}
    )


def test_ci_run_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
    # make test covers what the pipelines run piecewise: lint and unit as prerequisites, the
    # Molecule scenarios, the matrix, the bundle, integration and site tests in its two lanes,
    # by the same canned recipes as the targets of those names
    makefile = (ROOT / "Makefile").read_text()
    test_deps = re.search(r"^test: (.*?)##", makefile, re.M)[1].split()
    assert "prerequisites" in test_deps
    # prerequisites: the bundle, the venvs and then the services' tests in the background
    # while lint and unit run; all must pass
    prereq = re.search(r"^prerequisites: .*\n((?:\t.*\n)+)", makefile, re.M)[1]
    assert "$(MAKE) --no-print-directory artifacts" in prereq
    assert "$(MAKE) --no-print-directory lint unit ||" in prereq
    # the services' tests follow the bundle and the venvs (their broker is the bundle's)
    services = prereq.index("$(MAKE) --no-print-directory services")
    assert prereq.index("wait $$bundle") < services and prereq.index("wait $$venvs") < services
    assert "test $$brc -eq 0 -a $$vrc -eq 0 -a $$src -eq 0 ) & chain=$$!" in prereq
    assert "wait $$chain || crc=$$?" in prereq
    assert prereq.rstrip().endswith("test $$rc -eq 0 -a $$crc -eq 0")
    recipe = re.search(r"^test: .*\n((?:\t.*\n)+)", makefile, re.M)[1]
    lanes = set(re.findall(r"\$\((?:call )?run-([a-z-]+)[),]", recipe))
    assert lanes == {"molecule", "molecule-matrix", "bundle-test", "integration-test", "site"}
    for target in lanes:
        assert re.search(rf"^{target}: .*\n\t\$\((call )?run-{target}[),]", makefile, re.M), target
    # every scenario runs in one lane or the other: the fleet lane's roles are left out of
    # the Molecule lane's list, and so is the snapshot's role, whose scenario the snapshot
    # script runs first in the Molecule lane; nothing else is left out
    assert "$(call run-molecule,$(FLEET_LANE_ROLES))" in recipe
    molecule_lane = re.search(r"molecule=0; \( set -o pipefail; \( (.*)", recipe)[1]
    assert molecule_lane.startswith("molecule/substrate/base-snapshot.sh && ")
    # both lanes are logged whole, and a failed lane's report ends the output
    assert recipe.count("| tee $$logs/") == 2
    assert "lane-report.sh $$logs molecule $$molecule fleet $$fleet_rc;" in recipe
    assert re.search(r"^SNAPSHOT_ROLE := mirror$", makefile, re.M)
    assert (
        "filter-out $(MATRIX_ROLES) $(FLEET_LANE_ROLES) $(SNAPSHOT_ROLE),$(ROLES_WITH_MOLECULE)"
        in recipe
    )
