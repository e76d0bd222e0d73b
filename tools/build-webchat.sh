#!/usr/bin/env bash
# Rebuilds web/chat/sipjs.js, the one-file browser bundle of SIP.js (MIT)
# that the chat client imports, from the versions pinned in package-lock.json
# (npm ci: the npm registry or its cache; esbuild bundles and minifies).
# The bundle is committed, so running pchat never needs npm: `make webchat`
# after changing package.json or web/chat/sipjs-entry.mjs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
npm ci --no-audit --no-fund --loglevel=error
version=$(node -p 'require("./node_modules/sip.js/package.json").version')
out=web/chat/sipjs.js
{
	printf '/* SIP.js %s (https://sipjs.com), bundled by tools/build-webchat.sh from\n' "$version"
	printf ' * web/chat/sipjs-entry.mjs; do not edit. Its licence:\n *\n'
	sed -e 's/^/ * /' -e 's/ *$//' -e 's|\*/|* /|g' node_modules/sip.js/LICENSE.md
	printf ' */\n'
	npx --no-install esbuild web/chat/sipjs-entry.mjs --bundle --format=esm --minify \
		--log-level=warning
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-webchat: $out from sip.js $version ($(wc -c <"$out") bytes)"
