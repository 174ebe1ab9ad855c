#!/usr/bin/env bash
# Builds the data source's Go backend with the SDK's mage targets.
# Default: every released platform (linux/amd64, linux/arm64, darwin/arm64, windows/amd64)
# and go_plugin_build_manifest. PYFLARE_BACKEND_TARGET=current builds only this machine's.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${PYFLARE_BACKEND_TARGET:-}"
if [ "$target" = "current" ]; then
  go run github.com/magefile/mage -v buildCurrent
else
  go run github.com/magefile/mage -v
fi
