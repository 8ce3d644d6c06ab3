# Build, test and measure the Swift Consul agent. `make dev` and `make test` are the two
# commands README.md promises a newcomer on a fresh Debian box.
SWIFT        ?= swift
SWIFT_FLAGS  := --explicit-target-dependency-import-check error
RELEASE_FLAGS := -c release $(SWIFT_FLAGS) --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
BINARY       := .build/release/consul
# System packages the build, tests and benchmarks need (Debian names).
PY_PACKAGES := py-consul==1.8.0 playwright==1.65.3
DEB_PACKAGES := libuv1-dev libsqlite3-dev liblz4-dev lz4 libssl-dev pkg-config curl wrk nginx-light python3 bind9-dnsutils dnsmasq-base serf python3-grpcio dpkg-dev binutils lintian prometheus chromium

.PHONY: deps build dev test lint-imports bench bench-deps fuzz sim sim-mutants deb package-test clean

## deps: install missing Debian packages (apt-get only when something is missing)
deps:
	@scripts/ensure-debian-packages.sh $(DEB_PACKAGES)
	@# py-consul (PyPI) drives the Python-client interop tests (its snapshot API included);
	@# playwright drives Debian's chromium in the web UI's browser tests.
	@python3 -c "import consul, playwright.sync_api; consul.Consul().snapshot" 2>/dev/null || python3 -m pip install --quiet $(PY_PACKAGES)

## build: release binary at .build/release/consul
build: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product consul

## dev: install, build and run a development agent (HTTP on 127.0.0.1:8500)
dev: build
	$(BINARY) agent -dev

## test: the whole suite — import-tier lint, unit tests, and live tests against the real binary
test: deps lint-imports build
	CONSUL_BINARY=$(CURDIR)/$(BINARY) $(SWIFT) test $(SWIFT_FLAGS)

## lint-imports: the dependency rule of docs/architecture.md
## bench-deps: what only the benchmarks need (etcd 3.4 to compare against, strace to count fsyncs,
##             dnsperf for DNS queries/s)
BENCH_PACKAGES := etcd-server etcd-client strace dnsperf
bench-deps:
	@scripts/ensure-debian-packages.sh $(BENCH_PACKAGES)

lint-imports:
	@scripts/lint-imports.sh

## bench: requests/s and p99 for KV and status endpoints vs nginx (wrk), RSS, start-up time,
##        and Raft log appends/s with 1, 16 and 256 writes in flight (group commit); catalog
##        registrations/s, idle CPU with 10,000 blocking health watchers and their wake-up latency;
##        a 3-server cluster's put / ?consistent / ?stale throughput vs a 3-member etcd 3.4;
##        DNS A and SRV queries/s and allocations per query vs dnsmasq (dnsperf, 100 outstanding);
##        lock acquire/release round trips/s and 10-op transactions/s on a durable server;
##        snapshot save/restore; the cost of metrics (on vs telemetry filter_default = false);
##        the web UI with 5,000 services x 3 instances in headless Chromium (scripts/bench-ui.py)
bench: build bench-deps
	scripts/bench.sh $(BINARY)
	scripts/bench-dns.sh $(BINARY)
	scripts/bench-cluster.sh $(BINARY)
	scripts/bench-locks.sh $(BINARY)
	scripts/bench-snapshot.py $(BINARY)
	scripts/bench-metrics.py $(BINARY)
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product raft-storage-bench
	.build/release/raft-storage-bench --entries 20000
	python3 scripts/bench-catalog.py $(BINARY)
	python3 scripts/bench-ui.py $(BINARY)

## sim: SEEDS simulated Raft-cluster runs and SERVER_SEEDS runs of the production server
##      (ConsulServer over simulated TCP) from SEED_START (release build); non-zero exit on any failure
SEEDS ?= 1000
SERVER_SEEDS ?= 200
SEED_START ?= 1
sim: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product consul-sim
	.build/release/consul-sim --seeds $(SEEDS) --start $(SEED_START)
	.build/release/consul-sim --servers --seeds $(SERVER_SEEDS) --start $(SEED_START)

## sim-mutants: plants known bugs one at a time (commit with one vote less, ack before persist,
##              skip the ReadIndex round, apply before commit, forget lock-delay, ack a leader's
##              snapshot before it is durable) into a copy of the tree and reports how many seeds
##              the simulation needs to catch each; exits 1 if any survives MUTANT_SEEDS bare Raft
##              seeds (default 500) and then MUTANT_SERVER_SEEDS server seeds (default 300)
sim-mutants: deps
	scripts/sim-mutants.sh

## fuzz: run libFuzzer on the HTTP/1.1 request parser, the gossip wire codec and the DNS parser
##       and responder, FUZZ_SECONDS each (default 60); FUZZ_TARGET=http1, gossip or dns runs just one
FUZZ_SECONDS ?= 60
FUZZ_TARGET ?= all
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGET)

## deb: the Debian package build/consul_<version>_<arch>.deb from the release binary and
##      packaging/ (scripts/build-deb.sh), which must pass lintian without errors
# Tools `make deb` needs (Debian names); `make package-test` also needs debootstrap.
DEB_TOOLS := dpkg-dev binutils lintian
DEB_DIR   := build
deb: build
	@scripts/ensure-debian-packages.sh $(DEB_TOOLS)
	scripts/build-deb.sh $(BINARY) $(DEB_DIR)
	lintian --fail-on error $(DEB_DIR)/consul_*_$$(dpkg --print-architecture).deb

## package-test: installs the package in a fresh Debian 12 chroot (debootstrap; runs as root,
##               through sudo otherwise) and checks the consul user, the conffiles, the unit's
##               ExecStart run as systemd would (READY=1, leader, KV, reload on SIGHUP, exit 0
##               on SIGTERM), an upgrade that keeps edited config and data, remove and purge
package-test: deb
	@scripts/ensure-debian-packages.sh debootstrap
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO scripts/package-test.sh $(DEB_DIR)/consul_*_$$(dpkg --print-architecture).deb

clean:
	rm -rf .build
