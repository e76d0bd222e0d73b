#!/usr/bin/env bash
# Installs the Debian packages pchat needs to build, run and test (make deps, run, test, bench).
# Idempotent: only missing packages are installed; apt lists are refreshed once.
# --check (plain `make`): installs nothing, never calls apt; names what is missing and the
# command that installs it, and fails. This list is the only one; PCHAT_EXTRA_PACKAGES
# (space-separated) adds names to it, which tests/test_make_deps.py uses.
set -euo pipefail

PKGS=(
	kamailio                     # the operator's Kamailio: /usr/sbin/kamailio, kamcmd, tm, sl, ctl, jsonrpcs
	kamailio-mysql-modules       # db_mysql: auth_db reads the subscriber table (cfg WITH_AUTH)
	kamailio-websocket-modules   # websocket: the browser chat client's SIP over WebSocket (web/chat/)
	kamailio-tls-modules         # tls: the file service over HTTPS (cfg PCHAT_FILE_TLS, make run PCHAT_TLS=1)
	openssl                      # make run PCHAT_TLS=1 and test_files_tls.py: a self-signed certificate
	mariadb-server               # private MariaDB instance for `make run` and the tests
	mariadb-client
	mariadb-plugin-mroonga       # the history search's text index (sql/pchat-search-index.sql)
	galera-4 mariadb-backup socat   # tools/pchat-galera: the cluster, its state transfer (SST) and streamer
	default-libmysqlclient-dev   # MariaDB Connector/C (libmysqlclient API)
	libxml2-dev libjansson-dev
	libxslt1-dev                 # compliance_xslt: the XmlAdapter's XSLT post-processing (libxslt)
	build-essential pkg-config dpkg-dev   # dpkg-dev: apt-get source, dpkg-buildflags
	bison flex                   # Kamailio's `make cfg` checks for them
	python3 python3-pytest       # integration tests drive real SIP from Python
	strace                       # a pchatctl test checks it never chmods by path
	libfaketime                  # clock-jump tests move one Kamailio's clock (tests/lib/fakeclock.py)
	xsltproc docbook-xsl docbook-xml lynx   # make doc: modules/*/README from doc/*.xml, as Kamailio does
	libxml2-utils                # xmllint: the docbook XML is valid (doc Makefile `check`)
	clang libfuzzer-14-dev       # make fuzz / tests/test_fuzz.py: libFuzzer targets (tests/fuzz)
	chromium                     # tests/integration/test_manage.py: the room-management page in headless Chromium
	nodejs                       # tests/lib/pw/: Playwright (npm ci, tools/install-node-deps.sh) drives chromium
	debhelper lintian git        # make deb / tests/test_deb.py: the Debian package (debian/), lintian;
	                             # git: its version and file list
)
# npm: Debian's own, unless node came with its npm (nodesource's nodejs conflicts with it)
command -v npm >/dev/null || PKGS+=(npm)
# shellcheck disable=SC2206 # word splitting is the point
PKGS+=(${PCHAT_EXTRA_PACKAGES:-})

missing_packages() {
	local p
	for p in "${PKGS[@]}"; do
		[[ $p == \#* ]] && continue
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

mapfile -t missing < <(missing_packages)
((${#missing[@]})) || exit 0

if [ "${1:-}" = --check ]; then
	cat >&2 <<-MSG
	install-deps: missing Debian packages: ${missing[*]}
	install-deps: \`make\` installs nothing; install them (as root) with:

	    make deps

	  which runs: apt-get install --no-install-recommends ${missing[*]}
	  (\`make run\` and \`make test\` do it as well)
	MSG
	exit 1
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian starts kamailio/mariadb services on install; pchat runs its own private instances.
# An operator's own policy-rc.d is left alone.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

mapfile -t missing < <(missing_packages)
if ((${#missing[@]})); then
	echo "install-deps: still missing after apt-get install: ${missing[*]}" >&2
	exit 1
fi
