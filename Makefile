# pchat: Persistent Chat for Kamailio.
#   make run     set up everything and start the service on 127.0.0.1:5060
#   make run-pool  a pool: front-end on 127.0.0.1:5060, 3 chat nodes, 3-node Galera
#   make test    build, then run the unit and integration tests
#   make bench   short benchmark (under 5 minutes), table in bench/results/
#   make soak    an hour at half of saturation (SOAK_MINUTES), memory/fds/sessions
#                sampled each minute into bench/results/soak-*; not in make test
#   make deps    install the Debian packages and fetch the kamailio source (as root)
#   make doc     modules/*/README from modules/*/doc/*.xml
#   make webchat web/chat/sipjs.js (SIP.js, committed) again from package-lock.json (npm)
#   make node-deps node_modules/ from package-lock.json (npm ci; make test does it): Playwright
#   make fuzz    the libFuzzer targets (tests/fuzz), FUZZ_SECONDS each (default 300)
#   make deb     the Debian package pchat_<version>_<arch>.deb in dist/ (DEB_DIR), lintian-checked
#   make         build only: installs nothing and leaves the apt sources alone; when a
#                package or the kamailio source is missing it says which, and that
#                `make deps` installs it, and stops
# deps, run, run-pool, test, bench, unit and integration set the machine up (SETUP below); every
# other goal only checks. The package list is in tools/install-deps.sh.
SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build
# written by prepare-kamailio-src.sh: the kamailio version is only known
# once the package is installed, after this Makefile has been read
COREPATH = $$(cat $(BUILD)/corepath)
MODULES := pchat_roster pchat
MODULE_SOS := $(foreach m,$(MODULES),modules/$(m)/$(m).so)
PYTEST := /usr/bin/python3 -m pytest
PREFIX ?= /usr
KAM_MODDIR ?= $(PREFIX)/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/kamailio/modules

.PHONY: all deps packages kamailio-src modules check-abi pchatctl run run-pool test unit \
	integration install clean distclean bench soak pchat-bench doc fuzz webchat node-deps

# Only these goals install packages, add a deb-src entry and run apt-get source.
SETUP_GOALS := deps run run-pool test bench soak unit integration
SETUP := $(if $(filter $(SETUP_GOALS),$(MAKECMDGOALS)),1)

all: modules check-abi pchatctl

deps: packages kamailio-src

packages:
ifeq ($(SETUP),1)
	@tools/install-deps.sh
else
	@tools/install-deps.sh --check
endif

kamailio-src: packages
ifeq ($(SETUP),1)
	@tools/prepare-kamailio-src.sh $(BUILD)
else
	@tools/check-deps-kamailio-src.sh $(BUILD)
endif

modules: kamailio-src
	@for m in $(MODULES); do \
		$(MAKE) -s -C modules/$$m COREPATH=$(COREPATH) quiet=silent || exit 1; \
	done

check-abi: modules
	@tools/check-abi.sh $(MODULE_SOS)

pchatctl: packages
	@$(MAKE) -s -C tools/pchatctl

pchat-bench: packages
	@$(MAKE) -s -C tools/pchat-bench

# BENCH_ARGS=--long for the full sizes; BENCH_ARGS="--only fanout,imc" for some
bench: all pchat-bench
	@tools/bench/run-bench $(BENCH_ARGS)

# SOAK_MINUTES=5 for a short run; SOAK_RATE=<posts/s> skips the saturation steps
SOAK_MINUTES ?= 60
soak: all pchat-bench
	@SOAK_MINUTES=$(SOAK_MINUTES) tools/bench/run-soak

run: all
	@tools/pchat-run

run-pool: all
	@tools/pchat-run-pool

unit: packages
	@$(MAKE) -s -C tests/unit run

integration: all node-deps
	@cd tests && $(PYTEST) -q -p no:cacheprovider integration

# Each libFuzzer target for FUZZ_SECONDS: executions and findings per target
# (tests/fuzz/findings/); installs nothing, like plain make.
FUZZ_SECONDS ?= 300
fuzz: packages
	@$(MAKE) -s -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# One summary line from pytest; the C unit tests run inside it (test_unit.py).
test: all node-deps
	@cd tests && $(PYTEST) -q -p no:cacheprovider -rfE .

# node_modules/ from package-lock.json (npm ci, once per lock file): Playwright for
# the browser tests (tests/lib/pw/), with Debian's chromium
node-deps: packages
	@tools/install-node-deps.sh

# the browser chat client's SIP.js bundle; committed, so only after an upgrade
webchat:
	@tools/build-webchat.sh

# modules/*/README from modules/*/doc/*.xml (tests/test_doc.py checks they agree)
doc: packages
	@for m in $(MODULES); do $(MAKE) -s -C modules/$$m/doc README || exit 1; done

# Debian's paths (PREFIX=/usr): what `make deb` packages is exactly this list.
# Every file under sql/, cfg/ and web/ comes along, so new ones need no edit here,
# but web/chat/sipjs-entry.mjs: the input of the SIP.js bundle, not served.
DOCDIR := $(PREFIX)/share/doc/pchat
DATADIR := $(PREFIX)/share/pchat
# pchatctl test-message's SIP client, not on PATH (its library: DATADIR/python;
# dh_fixperms makes every file under libexec executable)
LIBEXECDIR := $(PREFIX)/libexec/pchat
install: all
	install -d $(DESTDIR)$(KAM_MODDIR) $(DESTDIR)$(DOCDIR)
	install -m 644 $(MODULE_SOS) $(DESTDIR)$(KAM_MODDIR)/
	find sql cfg web -type f ! -name '*.mjs' -exec install -D -m 644 {} $(DESTDIR)$(DATADIR)/{} \;
	install -m 644 README $(DESTDIR)$(DOCDIR)/README
	install -D -m 755 tools/pchat-test-message $(DESTDIR)$(LIBEXECDIR)/pchat-test-message
	install -D -m 644 tests/lib/sipclient.py $(DESTDIR)$(DATADIR)/python/sipclient.py
	for m in $(MODULES); do install -m 644 modules/$$m/README $(DESTDIR)$(DOCDIR)/README.$$m || exit 1; done
	$(MAKE) -C tools/pchatctl install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

# The Debian package (debian/, tools/make-deb): pchat_<version>_<arch>.deb and its
# lintian report into DEB_DIR. Only checks the set-up, like plain make.
DEB_DIR ?= $(TOP)/dist
.PHONY: deb
deb: packages kamailio-src
	@tools/make-deb $(DEB_DIR)

clean:
	@for m in $(MODULES); do \
		$(MAKE) -s -C modules/$$m COREPATH=$(COREPATH) clean >/dev/null 2>&1 || true; \
		rm -f modules/$$m/*.d modules/$$m/makecfg.lst; \
	done
	@$(MAKE) -s -C tests/unit clean >/dev/null 2>&1 || true
	@$(MAKE) -s -C tests/fuzz clean >/dev/null 2>&1 || true
	@$(MAKE) -s -C tools/pchatctl clean >/dev/null 2>&1 || true
	@$(MAKE) -s -C tools/pchat-bench clean >/dev/null 2>&1 || true

distclean: clean
	rm -rf $(BUILD) .run dist
