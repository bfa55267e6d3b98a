# The README's two commands are `make run` and `make test`; both install what they need first.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/debug/coregate
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libsqlite3-dev libsystemd-dev libssl-dev pkg-config systemd curl openssl
# The systemd test boots systemd in namespaces: unshare, nsenter, setpriv (util-linux), script (bsdutils).
TEST_APT_PACKAGES := python3 python3-pip util-linux bsdutils
SECONDS ?= 60

.PHONY: run test build deps test-deps unit e2e fuzz bench clean release install uninstall

# `make install` installs a release build; INSTALL_BIN installs another binary instead (the
# systemd test installs the debug build it already has rather than wait for a release build).
PREFIX ?= /usr/local
DESTDIR ?=
RELEASE_BIN := .build/release/coregate
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

release: deps
	$(SWIFT) build -c release --product coregate

install: $(if $(filter $(RELEASE_BIN),$(INSTALL_BIN)),release)
	BIN=$(INSTALL_BIN) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) systemd/install.sh install

uninstall:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) systemd/install.sh uninstall

clean:
	rm -rf .build var
