# The README's two commands are `make run` and `make test`; both install what they need first.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/debug/coregate
RELEASE_BIN := .build-release/release/coregate
BENCH_SECONDS ?= 5
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libsqlite3-dev libsystemd-dev libssl-dev pkg-config systemd curl openssl
# The interpreters of the example handlers in handlers/ (sh, Python, Perl, Node.js, Ruby; curl for forward.sh),
# and what the systemd test boots systemd in namespaces with: unshare, nsenter, setpriv (util-linux), script (bsdutils).
EXAMPLE_APT_PACKAGES := python3 perl nodejs ruby curl
TEST_APT_PACKAGES := python3-pip util-linux bsdutils $(EXAMPLE_APT_PACKAGES)
# The benchmarks' load generator and anchors. Each is started privately on a free loopback port;
# no system service is used, started or stopped.
BENCH_APT_PACKAGES := python3 python3-pip wrk webhook nginx gcc libc6-dev
# The hand-written peer receiver (Benchmarks/peers/starlette_receiver.py): what a user would write
# instead. uvicorn[standard] brings uvloop and httptools, as its docs recommend for production.
BENCH_PIP_PACKAGES := starlette uvicorn[standard]
SECONDS ?= 60

.PHONY: run test build deps test-deps unit e2e fuzz bench bench-deps bench-https release clean install uninstall

# `make install` installs a release build; INSTALL_BIN installs another binary instead (the
# systemd test installs the debug build it already has rather than wait for a release build).
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_BIN ?= $(RELEASE_BIN)

# Installs only what is missing, and refreshes the package lists only when something is.
deps:
	@missing=$$(for p in $(APT_PACKAGES) $(EXTRA_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

test-deps:
	@$(MAKE) --no-print-directory deps EXTRA_APT="$(TEST_APT_PACKAGES)"
	@$(PYTHON) -c 'import pytest, jsonschema' 2>/dev/null \
		|| $(PYTHON) -m pip install -q pytest jsonschema \
		|| $(PYTHON) -m pip install -q --break-system-packages pytest jsonschema

build: deps
	$(SWIFT) build --build-tests

run: build
	@$(MAKE) --no-print-directory deps EXTRA_APT="$(EXAMPLE_APT_PACKAGES)"
	mkdir -p var
	$(BIN) serve --tenants-dir tenants --state-dir var --listen 127.0.0.1:8080

# One build serves every suite: the Swift unit tests and the end-to-end tests of the real binary.
test: test-deps build unit e2e

unit:
	$(SWIFT) test --skip-build

# Includes Tests/EndToEnd/test_systemd.py: a real systemd, `make install`, systemctl (needs root).
e2e:
	COREGATE_BIN=$(CURDIR)/$(BIN) $(PYTHON) -m pytest -q Tests/EndToEnd

fuzz:
	Fuzz/run.sh $(SECONDS)

# A release build of its own, so it never invalidates the debug build the tests use.
release: deps
	$(SWIFT) build -c release --product coregate --scratch-path .build-release

install: $(if $(filter $(RELEASE_BIN),$(INSTALL_BIN)),release)
	BIN=$(INSTALL_BIN) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) systemd/install.sh install

uninstall:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) systemd/install.sh uninstall

# Benchmarks: the release build against adnanh/webhook, nginx and a C spawn loop, on this machine
# in the same run; prints one summary (also in var/bench/summary.md). BENCH_ARGS="--quick" for a
# smoke run, BENCH_ARGS="--only ingest" for one part. See docs/performance.md.
bench-deps:
	@$(MAKE) --no-print-directory deps EXTRA_APT="$(BENCH_APT_PACKAGES)"
	@$(PYTHON) -c 'import starlette, uvicorn, uvloop, httptools' 2>/dev/null \
		|| $(PYTHON) -m pip install -q $(foreach p,$(BENCH_PIP_PACKAGES),'$(p)') \
		|| $(PYTHON) -m pip install -q --break-system-packages $(foreach p,$(BENCH_PIP_PACKAGES),'$(p)')

bench: bench-deps release
	COREGATE_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) Benchmarks/bench.py $(BENCH_ARGS)

# HTTPS ingest requests/s beside plain HTTP, in one run of one gateway.
bench-https: release
	@$(MAKE) --no-print-directory deps EXTRA_APT="wrk python3"
	COREGATE_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) Benchmarks/https.py --seconds $(BENCH_SECONDS)

clean:
	rm -rf .build .build-release .build-bench .build-fuzz var
