#!/usr/bin/env bash
# Builds the plugin suite and packs it the way Grafana installs it and the plugin validator
# expects: artifacts/<id>-<version>.zip with the folder <id>/ at its root (the app, the nested
# data source with its Go binaries for every released platform, the panels), plus .sha1 and
# .sha256 files beside it.
# PYFLARE_SKIP_BUILD=1 packs the existing dist/ (it must hold a complete release build).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[package] %s\n' "$*"; }
fail() { printf '[package] error: %s\n' "$*" >&2; exit 1; }

command -v zip >/dev/null || fail "zip is missing: apt-get install zip (scripts/install-deps.sh does)"

id=$(node -p "require('./src/plugin.json').id")
version=$(node -p "require('./package.json').version")
executable=$(node -p "require('./src/datasource/plugin.json').executable")
archive="$id-$version.zip"

if [ "${PYFLARE_SKIP_BUILD:-0}" != "1" ]; then
  # The service (ingest/) is not part of the plugin archive, so only the plugins and the
  # backend are built. Order matters: webpack cleans dist/, then mage adds the binaries.
  log "building the plugins (webpack)"
  npm run build:plugins
  log "building the Go backend for every released platform (mage)"
  PYFLARE_BACKEND_TARGET='' npm run build:backend
fi

# Check dist/ before packing: a half build must not become a release archive.
required=(module.js plugin.json README.md CHANGELOG.md LICENSE go_plugin_build_manifest
  datasource/module.js datasource/plugin.json panels/trace/module.js panels/trace/plugin.json
  panels/drift/module.js panels/drift/plugin.json)
platforms=(linux_amd64 linux_arm64 darwin_arm64 windows_amd64)
for p in "${platforms[@]}"; do
  bin="datasource/${executable}_$p"
  [ "$p" = "windows_amd64" ] && bin="$bin.exe"
  required+=("$bin")
done
for f in "${required[@]}"; do
  [ -f "dist/$f" ] || fail "dist/$f is missing: run without PYFLARE_SKIP_BUILD=1"
done
if grep -rlE '%(VERSION|TODAY|PLUGIN_ID)%' dist --include=plugin.json --include=README.md; then
  fail "template variables left in the files above"
fi
built_version=$(node -p "require('./dist/plugin.json').info.version")
[ "$built_version" = "$version" ] || fail "dist/ was built for $built_version, package.json says $version"

# Stage under the plugin id so the archive's root folder is <id>/.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -a dist "$stage/$id"
# Grafana runs the binaries directly: they must be executable inside the archive.
chmod 0755 "$stage/$id/datasource/${executable}"_*
chmod 0644 "$stage/$id/go_plugin_build_manifest"
# Build leftovers that are not part of the plugin.
find "$stage/$id" \( -name '.DS_Store' -o -name '*.tsbuildinfo' \) -delete

mkdir -p artifacts
rm -f "artifacts/$archive" "artifacts/$archive.sha1" "artifacts/$archive.sha256"
# -X: no extra file attributes (uid/gid, extended timestamps); unix modes are still kept.
(cd "$stage" && zip -q -r -X "$OLDPWD/artifacts/$archive" "$id")
(cd artifacts && sha1sum "$archive" >"$archive.sha1" && sha256sum "$archive" >"$archive.sha256")

log "artifacts/$archive ($(du -h "artifacts/$archive" | cut -f1))"
log "sha1   $(cut -d' ' -f1 "artifacts/$archive.sha1")"
log "sha256 $(cut -d' ' -f1 "artifacts/$archive.sha256")"
