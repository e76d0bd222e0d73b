#!/usr/bin/env bash
# Fails the build when a module would be refused by the installed
# /usr/sbin/kamailio: its version and compile-flag strings must equal the
# binary's (what ksr_version_control() compares at load time).
set -euo pipefail

kam=${KAMAILIO:-/usr/sbin/kamailio}
want_ver=$("$kam" -V | sed -n 's/^version: \(.*[^ ]\) *$/\1/p')
want_flags=$("$kam" -V | sed -n 's/^flags: \(.*[^ ]\) *$/\1/p')
rc=0
for so in "$@"; do
	syms=$(strings "$so")
	if ! grep -qxF "$want_ver" <<<"$syms"; then
		echo "check-abi: $so was not built for '$want_ver'" >&2
		rc=1
	fi
	if ! grep -qxF "$want_flags" <<<"$syms"; then
		echo "check-abi: $so compile flags differ from $kam:" >&2
		echo "  kamailio: $want_flags" >&2
		echo "  module:   $(grep -m1 '^USE_TCP' <<<"$syms" || echo '?')" >&2
		rc=1
	fi
done
[ $rc = 0 ] && echo "check-abi: $* match $want_ver"
exit $rc
