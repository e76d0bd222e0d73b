#!/usr/bin/env bash
# Installs the Debian packages pchat needs to build, run and test.
# Idempotent: only missing packages are installed; apt lists are refreshed once.
set -euo pipefail

PKGS=(
	kamailio                     # the operator's Kamailio: /usr/sbin/kamailio, kamcmd, tm, sl, ctl, jsonrpcs
	kamailio-mysql-modules       # db_mysql: auth_db reads the subscriber table (cfg WITH_AUTH)
	mariadb-server               # private MariaDB instance for `make run` and the tests
	mariadb-client
	default-libmysqlclient-dev   # MariaDB Connector/C (libmysqlclient API)
	libxml2-dev libjansson-dev
	build-essential pkg-config dpkg-dev   # dpkg-dev: apt-get source, dpkg-buildflags
	bison flex                   # Kamailio's `make cfg` checks for them
	python3 python3-pytest       # integration tests drive real SIP from Python
	strace                       # a pchatctl test checks it never chmods by path
	xsltproc docbook-xsl docbook-xml lynx   # make doc: modules/*/README from doc/*.xml, as Kamailio does
)

missing=()
for p in "${PKGS[@]}"; do
	[[ $p == \#* ]] && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Debian starts kamailio/mariadb services on install; pchat runs its own private instances.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
