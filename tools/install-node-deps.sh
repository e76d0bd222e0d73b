#!/usr/bin/env bash
# Installs the npm packages pinned in package-lock.json into node_modules/ (npm ci)
# when the lock file changed since: playwright-core for tests/lib/pw/, and what
# `make webchat` bundles. No browser is downloaded: the tests use Debian's chromium.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
stamp=node_modules/.pchat-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
	exit 0
fi
command -v npm >/dev/null || { echo "install-node-deps: npm is missing (make deps installs it)" >&2; exit 1; }
# --prefer-offline: once installed, the npm cache is enough
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
