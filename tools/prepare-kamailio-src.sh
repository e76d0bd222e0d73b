#!/usr/bin/env bash
# Prepares the Kamailio source tree our modules compile against: the exact source of the
# installed Debian kamailio package, configured with Debian's `make cfg` options, so the
# module's compile flags match /usr/sbin/kamailio (ksr_version_control()).
# Usage: prepare-kamailio-src.sh BUILD_DIR
# Writes the configured tree's src/ path to BUILD_DIR/corepath for the
# module builds (the package version is only known once it is installed).
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR}
mkdir -p "$build"
build=$(cd "$build" && pwd)

pkgver=$(dpkg-query -W -f='${Version}' kamailio)
upver=${pkgver#*:}; upver=${upver%-*}
src="$build/kamailio-$upver"
stamp="$build/.kamailio-src-$pkgver"

if [ -f "$stamp" ] && [ -f "$src/src/config.mak" ]; then
	echo "$src/src" >"$build/corepath"
	exit 0
fi

have_deb_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if ! have_deb_src; then
	[ "$(id -u)" = 0 ] || { echo "prepare-kamailio-src: no deb-src entry and not root" >&2; exit 1; }
	echo "prepare-kamailio-src: adding a deb-src entry for the configured Debian archive"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: *deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/pchat-deb-src.sources
	else
		grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/pchat-deb-src.list
	fi
	apt-get update -qq
fi

echo "prepare-kamailio-src: fetching the source of kamailio $pkgver"
rm -rf "$src" "$build"/kamailio_*
(cd "$build" && apt-get source -qq "kamailio=$pkgver" >/dev/null)
[ -d "$src" ] || { echo "prepare-kamailio-src: apt-get source gave no $src" >&2; exit 1; }

# The source must be the installed package's: refuse anything else.
srcver=$(cd "$src" && dpkg-parsechangelog -S Version)
if [ "$srcver" != "$pkgver" ]; then
	echo "prepare-kamailio-src: source version $srcver != installed kamailio $pkgver" >&2
	exit 1
fi

echo "prepare-kamailio-src: make cfg with Debian's options"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
make -s -C "$src/src" cfg FLAVOUR=kamailio prefix=/usr cfg_target=/etc/kamailio/ \
	LIBDIR="lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)" group_include=kstandard \
	CC_EXTRA_OPTS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE" \
	LD_EXTRA_OPTS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
rm -f "$build"/.kamailio-src-*
touch "$stamp"
echo "$src/src" >"$build/corepath"
echo "prepare-kamailio-src: ready: $src"
