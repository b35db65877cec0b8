# One entry point for people and for the three CI systems (GitHub, GitLab, Jenkins).
# `make up` and `make test` are the two commands a new machine needs; both run `make setup`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        ?= .venv
BIN         := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export MACH_RUN_DIR   ?= /run/mach-platform
export MACH_STATE_DIR ?= /var/lib/mach-platform
# `make test` keeps each lane's whole log here (overwritten by the next run).
TEST_LOG_DIR ?= $(MACH_STATE_DIR)/test-logs
export DOCKER_HOST    ?= unix://$(MACH_RUN_DIR)/docker.sock
export ANSIBLE_CONFIG := $(abspath ansible.cfg)
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0
NODE_RELEASES ?= bullseye bookworm trixie
INVENTORY   ?= inventories/local
# Roles whose scenario also runs on Debian 11/12/13 nodes at once (the base OS varies most).
MATRIX_ROLES ?= common
# Roles whose scenario has its own node names and network (MACH_MOLECULE_NODE_PREFIX in its
# .env.yml) and so may run in `make test`'s fleet lane, beside the Molecule lane; which of them
# do is a matter of balancing the lanes (README, Test budget): opensearch's (os-* nodes) and
# mach_services' (svc-* nodes) run before the site test.
FLEET_LANE_ROLES ?= opensearch mach_services
# The role whose scenario `make base-snapshot` runs (its nodes become the air-gapped base snapshot).
SNAPSHOT_ROLE := mirror
# Roles whose scenario is another role's (a symlink: roles/jaeger's is roles/opensearch's, which
# converges the search cluster and then Jaeger on it); it runs once, as that role's.
SHARED_SCENARIO_ROLES := jaeger kibana kong logs logstash
ROLES_WITH_MOLECULE := $(filter-out $(SHARED_SCENARIO_ROLES),$(patsubst roles/%/molecule/default/molecule.yml,%,$(wildcard roles/*/molecule/default/molecule.yml)))

.PHONY: help setup venv host-packages dockerd image up down converge preflight test lint \
        unit tools molecule molecule-matrix site bench lock clean distclean artifacts artifacts-list \
        artifacts-test bundle-test integration-test base-snapshot prerequisites services

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: venv host-packages dockerd image ## venv, Debian packages, dockerd and node image (idempotent)

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements/dev.txt requirements/constraints.txt pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

host-packages:
	molecule/substrate/host-packages.sh

dockerd: host-packages
	molecule/substrate/dockerd.sh start

# The releases' images are built side by side (debootstrap waits mostly on the mirror).
image: dockerd
	@pids=(); for r in $(NODE_RELEASES); do molecule/substrate/build-image.sh $$r & pids+=($$!); done; \
	rc=0; for p in "$${pids[@]}"; do wait $$p || rc=1; done; exit $$rc

up: setup ## create the local 3-zone fleet and converge site.yml on it
	$(BIN)/ansible-playbook molecule/fleet/create.yml
	$(BIN)/ansible-playbook -i $(INVENTORY) site.yml
	$(BIN)/ansible-playbook -i $(INVENTORY) molecule/fleet/receiver.yml

down: venv ## remove the local fleet (containers, network)
	$(BIN)/ansible-playbook molecule/fleet/destroy.yml

converge: venv ## converge site.yml on INVENTORY (default: the local fleet)
	$(BIN)/ansible-playbook -i $(INVENTORY) site.yml

preflight: venv ## Nornir preflight checks of INVENTORY's hosts
	$(BIN)/mach preflight -i $(INVENTORY)

lint: venv ## ansible-lint (production), yamllint, ruff, mypy, shellcheck
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production --offline
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/shellcheck molecule/substrate/*.sh .ci/run

tools: ## offline validators under MACH_STATE_DIR/tools: promtool, amtool (Debian), tsc, mustache and deck (pinned Go modules)
	molecule/substrate/offline-tools.sh

unit: venv tools ## pytest: everything that needs no node and no bundle (alert rules via promtool)
	$(BIN)/pytest -m "not fleet and not artifacts"

# Each service (and the kit they share) builds and tests alone, in its own venv from its own
# lock, on real PostgreSQL and Redis servers (Debian's) and a real Kafka broker from the bundle's jars
# (services/Makefile; `UNITS=catalog` for one).
services: host-packages ## the services: mypy, tests on real PostgreSQL, Redis and Kafka, contracts (schemathesis, pact), coverage
	$(MAKE) -C services -j2 test

artifacts-test: bundle-test integration-test ## bundle-test, then integration-test

bundle-test: artifacts ## the bundle: pinned, reproducible, its homes start, installable offline
	$(run-bundle-test)

integration-test: artifacts ## the collection's modules against bao, Keycloak, PostgreSQL and MinIO from the bundle; a request through two services as one trace in the bundle's Jaeger
	$(run-integration-test)

# MATRIX_ROLES' scenarios run in molecule-matrix (Debian 11/12/13 at once), a superset.
molecule: setup artifacts base-snapshot ## molecule test for every role that has a scenario (mirror's by base-snapshot)
	$(call run-molecule,$(filter-out $(MATRIX_ROLES) $(SNAPSHOT_ROLE),$(ROLES_WITH_MOLECULE)))

# The air-gapped role scenarios (their .env.yml names the images) start from this snapshot.
base-snapshot: setup artifacts ## the mirror's scenario (base.yml, air-gapped); its nodes committed as the role scenarios' base
	molecule/substrate/base-snapshot.sh

molecule-matrix: setup ## MATRIX_ROLES' scenario on Debian 11, 12 and 13 nodes at once
	$(run-molecule-matrix)

site: setup artifacts ## local fleet (its mirror serves the bundle): create, converge twice (2nd must be changed=0), testinfra, preflight, then the drills
	$(run-site)

# `make test` runs two lanes side by side once setup, lint, unit and the bundle are done: the
# mirror's scenario with the base snapshot, the other Molecule scenarios (mol-* nodes,
# mach-molecule* networks), the matrix, the integration tests (host processes on free ports)
# and the bundle's tests in this shell, and FLEET_LANE_ROLES' scenarios (their own node names
# and network) and the site test (mach-* fleet, mach-fleet network) in the background, each of
# its lines prefixed "fleet| ". The suite is CPU-bound on 2 cores, so the lanes are balanced by
# their measured lengths (README, Test budget). They share no container, network, port or file
# (docs/adr/0012). The lanes' prerequisites are run once, before, so no Debian package, image
# or bundle step runs twice at once. A failed lane fails `make test` after both have finished,
# and its failure lines and last lines end the output (molecule/substrate/lane-report.sh); both
# lanes' logs are kept in TEST_LOG_DIR.
test: setup prerequisites ## the whole suite, as CI runs it (two lanes side by side)
	@t0=$$(date +%s); logs=$(TEST_LOG_DIR); mkdir -p $$logs; \
	( set -o pipefail; ( ( $(call run-molecule,$(FLEET_LANE_ROLES)) ) \
	  && ( $(run-site) ) ) 2>&1 | sed -u 's/^/fleet| /' | tee $$logs/fleet.log ) & fleet=$$!; \
	molecule=0; ( set -o pipefail; ( molecule/substrate/base-snapshot.sh && ( $(call run-molecule,$(filter-out $(MATRIX_ROLES) $(FLEET_LANE_ROLES) $(SNAPSHOT_ROLE),$(ROLES_WITH_MOLECULE))) ) \
	  && ( $(run-molecule-matrix) ) && ( $(run-integration-test) ) && ( $(run-bundle-test) ) ) 2>&1 | tee $$logs/molecule.log ) || molecule=$$?; \
	echo "=== lane molecule: rc=$$molecule after $$(( $$(date +%s) - t0 )) s; waiting for lane fleet"; \
	fleet_rc=0; wait $$fleet || fleet_rc=$$?; \
	echo "=== lane fleet: rc=$$fleet_rc after $$(( $$(date +%s) - t0 )) s"; \
	molecule/substrate/lane-report.sh $$logs molecule $$molecule fleet $$fleet_rc; \
	test $$molecule -eq 0 -a $$fleet_rc -eq 0

# Two chains side by side: lint and unit in this shell, and in the background the bundle and
# the services' venvs (together: the bundle's downloads wait on the registries and a fresh
# machine's Go builds take minutes), then the services' tests (their Kafka broker and
# OpenSearch node come from the bundle). Lines are prefixed "bundle| ", "venvs| " and
# "services| ". Any failing fails, after both chains have finished.
prerequisites: setup
	@( brc=0; vrc=0; \
	  ( set -o pipefail; $(MAKE) --no-print-directory artifacts 2>&1 | sed -u 's/^/bundle| /' ) & bundle=$$!; \
	  ( set -o pipefail; $(MAKE) --no-print-directory -C services -j3 venvs 2>&1 | sed -u 's/^/venvs| /' ) & venvs=$$!; \
	  wait $$bundle || brc=$$?; wait $$venvs || vrc=$$?; \
	  src=0; test $$brc -ne 0 -o $$vrc -ne 0 || ( set -o pipefail; \
	    $(MAKE) --no-print-directory services 2>&1 | sed -u 's/^/services| /' ) || src=$$?; \
	  echo "=== prerequisites: bundle rc=$$brc, venvs rc=$$vrc, services rc=$$src"; \
	  test $$brc -eq 0 -a $$vrc -eq 0 -a $$src -eq 0 ) & chain=$$!; \
	rc=0; $(MAKE) --no-print-directory lint unit || rc=$$?; \
	crc=0; wait $$chain || crc=$$?; \
	echo "=== prerequisites: lint and unit rc=$$rc, bundle, venvs and services rc=$$crc"; \
	test $$rc -eq 0 -a $$crc -eq 0

define run-bundle-test
$(BIN)/pytest --durations=5 -m artifacts tests/artifacts
endef

# The catalog's and the cart's venvs: the Keycloak test runs the catalog against the realm's
# real tokens, the traces test both (the cart calls the catalog) against the bundle's Jaeger.
define run-integration-test
$(MAKE) --no-print-directory -C services venvs UNITS="catalog cart" && $(BIN)/pytest --durations=10 -m artifacts tests/integration
endef

define run-site
$(BIN)/pytest -s --durations=25 -m fleet tests/site tests/drills
endef

# $(call run-molecule,ROLES): `molecule test` for each role in turn.
define run-molecule
for r in $(1); do \
  echo "=== molecule test: roles/$$r"; start=$$(date +%s); \
  (cd roles/$$r && ../../$(BIN)/molecule test) || exit 1; \
  echo "=== roles/$$r: molecule test passed in $$(( $$(date +%s) - start )) s"; \
done
endef

define run-molecule-matrix
for r in $(MATRIX_ROLES); do \
  echo "=== molecule test (Debian 11/12/13): roles/$$r"; start=$$(date +%s); \
  (cd roles/$$r && MACH_NODE_IMAGE_A=mach/debian11-systemd:latest \
    MACH_NODE_IMAGE_B=mach/debian12-systemd:latest \
    MACH_NODE_IMAGE_C=mach/debian13-systemd:latest ../../$(BIN)/molecule test) || exit 1; \
  echo "=== roles/$$r (Debian 11/12/13): molecule test passed in $$(( $$(date +%s) - start )) s"; \
done
endef

artifacts: setup ## build the air-gap bundle (incremental; a no-op when nothing changed)
	$(BIN)/mach artifacts build

artifacts-list: venv ## what an air-gapped site must bring, from artifacts/manifest.yml
	@$(BIN)/mach artifacts list

bench: venv ## benchmarks that print figures (preflight; a JVM's start-up CPU by compiler; the main paths of the catalog, payment, cart and search)
	$(BIN)/python bench/preflight_bench.py --hosts 1000
	$(BIN)/python bench/jvm_startup_bench.py --runs 2
	$(MAKE) -C services bench

lock: ## re-pin: fresh venv from requirements/dev.txt, freeze into constraints.txt
	rm -rf .cache/lockvenv && python3 -m venv .cache/lockvenv
	.cache/lockvenv/bin/pip install -q -r requirements/dev.txt
	.cache/lockvenv/bin/pip freeze --exclude-editable > requirements/constraints.txt

clean: ## remove the fleet and caches (keeps the venv, dockerd and images)
	-$(BIN)/ansible-playbook molecule/fleet/destroy.yml
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache

distclean: clean ## also stop dockerd and undo its host changes; remove the venv
	molecule/substrate/dockerd.sh stop
	rm -rf $(VENV)
