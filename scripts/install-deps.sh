#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing twice: npm packages from the
# committed lock file, Go modules, a C compiler, Debian's Chromium for the browser tests and
# Prometheus for the /metrics test.
# Safe to run repeatedly; used by `npm start`, `npm test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[install] %s\n' "$*"; }

# npm: reinstall only when the lock file changed since the last install.
stamp=node_modules/.pyflare-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  # Not `npm ci`: this registry serves no darwin/windows builds of @swc/core, so the lock
  # file cannot list them and `npm ci` refuses it as out of sync. `npm install` with the
  # committed lock installs the same versions; --no-save keeps the lock untouched.
  log "npm install (from package-lock.json)"
  npm install --no-save --no-audit --no-fund
  cp package-lock.json "$stamp"
else
  log "npm packages up to date"
fi

log "go mod download"
go mod download

if [ "${PYFLARE_SKIP_BROWSER:-0}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    log "apt-get install chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "Chromium is needed for the browser tests: sudo apt-get install chromium (or PYFLARE_SKIP_BROWSER=1)" >&2
    exit 1
  fi
fi

# A C compiler and the C library's headers for the service's native helper
# (ingest/native/malloc-tuning.c, glibc's malloc thresholds); the build goes on without them,
# with a warning, but the tests check the helper. Node's own headers come with node.
if ! command -v cc >/dev/null || [ ! -f /usr/include/malloc.h ]; then
  if [ "$(id -u)" = "0" ]; then
    log "apt-get install gcc libc6-dev"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
  else
    echo "A C compiler is needed for the service's malloc helper: sudo apt-get install gcc libc6-dev" >&2
    exit 1
  fi
fi
node_headers="$(dirname "$(command -v node)")/../include/node/node_api.h"
if [ ! -f "$node_headers" ]; then
  echo "warning: no Node headers at $node_headers: the service builds without its malloc helper" >&2
fi

# zip/unzip pack and inspect the release archive (npm run package and its test).
if ! command -v zip >/dev/null || ! command -v unzip >/dev/null; then
  if [ "$(id -u)" = "0" ]; then
    log "apt-get install zip unzip"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip unzip >/dev/null
  else
    echo "zip and unzip are needed to package the plugin: sudo apt-get install zip unzip" >&2
    exit 1
  fi
fi

# Prometheus and promtool: the service's /metrics test lints the exposition and has a real
# Prometheus scrape and query it (ingest/src/metrics/prometheus.integration.test.ts).
# `npm start` skips it (PYFLARE_SKIP_PROMETHEUS=1): only the tests need it.
if [ "${PYFLARE_SKIP_PROMETHEUS:-0}" != "1" ] && { [ ! -x /usr/bin/prometheus ] || [ ! -x /usr/bin/promtool ]; }; then
  if [ "$(id -u)" = "0" ]; then
    log "apt-get install prometheus"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "Prometheus is needed for the /metrics test: sudo apt-get install prometheus (or PYFLARE_SKIP_PROMETHEUS=1)" >&2
    exit 1
  fi
fi
