#!/usr/bin/env bash
# Plain `make`'s stand-in for prepare-kamailio-src.sh: checks, without apt and without
# touching apt sources, that BUILD_DIR holds the prepared source of the installed kamailio
# package; if so writes BUILD_DIR/corepath, else says that `make deps` prepares it, and fails.
# Usage: check-deps-kamailio-src.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR}
pkgver=$(dpkg-query -W -f='${Version}' kamailio)
upver=${pkgver#*:}; upver=${upver%-*}

# the stamp and the configured tree prepare-kamailio-src.sh leaves behind
if [ -d "$build" ]; then
	build=$(cd "$build" && pwd)
	src="$build/kamailio-$upver"
	if [ -f "$build/.kamailio-src-$pkgver" ] && [ -f "$src/src/config.mak" ]; then
		echo "$src/src" >"$build/corepath"
		exit 0
	fi
fi

cat >&2 <<MSG
check-deps: $build has no prepared source of kamailio $pkgver (the installed package)
check-deps: \`make\` fetches nothing; prepare it (as root) with:

    make deps

  which runs tools/prepare-kamailio-src.sh: apt-get source kamailio=$pkgver into
  $build, after adding a deb-src entry to the apt sources when there is none
MSG
exit 1
