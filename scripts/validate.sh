#!/usr/bin/env bash
# Runs Grafana's plugin validator (plugincheck2, the checks grafana.com runs on a submitted
# plugin) on the release archive, with our source code for the source-map and Go checks.
# Packs first (scripts/package.sh) so the archive matches the source; PYFLARE_SKIP_PACKAGE=1
# validates the archive already in artifacts/. Exit 1 on any error (PLUGINCHECK_STRICT=1: on
# warnings too). The merged report is written to artifacts/validator-report.json.
#
# Why one analyzer per run: plugincheck2 stops at the first analyzer that returns an error,
# and some analyzers download things (the plugin.json schema, grafana.com patterns and org
# names, vulnerability databases). Offline, one failed download would hide every check after
# it, so each analyzer runs alone and the ones that need the network are listed as not run.
set -euo pipefail
cd "$(dirname "$0")/.."

VALIDATOR_VERSION=v0.45.6
GOSEC_VERSION=v2.30.0
SEMGREP_VERSION=1.182.0

log() { printf '[validate] %s\n' "$*"; }

id=$(node -p "require('./src/plugin.json').id")
version=$(node -p "require('./package.json').version")
archive="artifacts/$id-$version.zip"

if [ "${PYFLARE_SKIP_PACKAGE:-0}" != "1" ] || [ ! -f "$archive" ]; then
  bash scripts/package.sh
fi

gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
validator="${PLUGINCHECK2:-$(command -v plugincheck2 || true)}"
if [ -z "$validator" ]; then
  log "installing plugincheck2 $VALIDATOR_VERSION"
  if ! go install "github.com/grafana/plugin-validator/pkg/cmd/plugincheck2@$VALIDATOR_VERSION"; then
    cat >&2 <<MSG
[validate] plugincheck2 could not be installed from the Go module proxy (some proxies refuse
[validate] this module). Build it from a checkout of github.com/grafana/plugin-validator at
[validate] $VALIDATOR_VERSION: 'go build -o plugincheck2 ./pkg/cmd/plugincheck2', then run
[validate] PLUGINCHECK2=/path/to/plugincheck2 bash scripts/validate.sh
MSG
    exit 2
  fi
  validator="$gobin/plugincheck2"
fi
# The scanners the validator calls when they are on PATH and that work offline: gosec
# (Go security scan) and semgrep (Grafana's code rules for the Go backend).
if ! command -v gosec >/dev/null; then
  log "installing gosec $GOSEC_VERSION"
  go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION" || log "gosec not installed: the go-sec check will warn"
fi
tools="${PYFLARE_TOOLS_DIR:-$HOME/.cache/pyflare-tools}"
if ! command -v semgrep >/dev/null; then
  if [ ! -x "$tools/semgrep/bin/semgrep" ]; then
    log "installing semgrep $SEMGREP_VERSION (PyPI) into $tools/semgrep"
    # shellcheck disable=SC2015 # the log line is for either step failing
    python3 -m venv "$tools/semgrep" && "$tools/semgrep/bin/pip" install -q "semgrep==$SEMGREP_VERSION" ||
      log "semgrep not installed: the code-rules check will not run"
  fi
  if [ -x "$tools/semgrep/bin/semgrep" ]; then export PATH="$PATH:$tools/semgrep/bin"; fi
fi
# Without this semgrep waits on its online version check before every scan.
export SEMGREP_ENABLE_VERSION_CHECK=0

# Every analyzer of plugincheck2 v0.45.6 (pkg/analysis/passes/analysis.go), by its Name.
analyzers=(archive archivename backendbinary backenddebug binarypermissions brokenlinks
  buildtools changelog sponsorshiplink checksum code-rules discoverability go-manifest go-sec
  govulncheck includesnested jargon jsMap legacybuilder legacyplatform license safelinks
  llmreview logos manifest metadata metadatapaths metadatavalid modulejs nestedmetadata org
  osv-scanner packagejson plugindocs pluginname provenance published-plugin reactcompat readme
  restrictivedep screenshots sdkusage signature sourcecode templatereadme trackingscripts
  typesuffix unsafesvg version virusscan circulardependencies codediff grafanadependency)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# plugincheck2 extracts the archive into a fresh temp dir on every run and never removes it
# (~100 MB per analyzer, 5 GB per validation): give it one under $work, removed on exit.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
cat >"$work/config.yaml" <<'YAML'
global:
  enabled: true
  jsonOutput: true
  reportAll: false
YAML

log "plugincheck2 $archive (source file://$PWD), ${#analyzers[@]} analyzers, 2 at a time"
export validator work archive
# DEBUG=1 makes plugincheck2 print why a run stopped ("check failed: ...").
# osv-scanner (a dependency of llmreview and codediff too) scans only in its own run.
# shellcheck disable=SC2016 # expanded by the inner bash, from the exported variables
printf '%s\n' "${analyzers[@]}" | xargs -P 2 -I{} bash -c \
  '[ {} = osv-scanner ] || export SKIP_OSV_SCANNER=1
   DEBUG=1 "$validator" -config "$work/config.yaml" -sourceCodeUri "file://$PWD" \
     -analyzer {} -output-to-file "$work/{}.json" "$archive" >"$work/{}.log" 2>&1 || true'

mkdir -p artifacts
node - "$work" "${PLUGINCHECK_STRICT:-0}" "${analyzers[@]}" <<'NODE'
// Merges the per-analyzer reports (each run also reports its dependencies), sets apart
// what failed for want of network, prints the findings and exits 1 on errors.
const fs = require('fs');
const path = require('path');
const [dir, strict, ...names] = process.argv.slice(2);
const offline = /dial tcp|no such host|i\/o timeout|connection refused|network is unreachable|E404|404 Not Found/;
const findings = new Map();
const notRun = new Map();
let id = '';
let version = '';
for (const name of names) {
  const log = fs.existsSync(path.join(dir, `${name}.log`)) ? fs.readFileSync(path.join(dir, `${name}.log`), 'utf8') : '';
  const failed = log.match(/^\[DEBUG\] check failed: (.*)$/m);
  if (failed) {
    notRun.set(name, failed[1].slice(0, 160));
  }
  // Checks that skip themselves silently; the debug log tells which.
  // osv-scanner logs its failed lookups and then reports "passed": that pass means nothing.
  if (name === 'osv-scanner' && /Error during extraction.*osv\.dev/.test(log)) {
    notRun.set(name, 'api.osv.dev unreachable');
  }
  const silent = {
    virusscan: [/clamav not installed/, 'clamscan (ClamAV) not installed'],
    llmreview: [/Skipping LLM review: no API key/, 'needs an LLM API key (ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY)'],
    codediff: [/Skipping LLM code diff analysis: no API key/, 'needs an LLM API key and a published earlier version'],
    provenance: [/GITHUB_TOKEN is not set/, 'needs GITHUB_TOKEN and a GitHub release'],
    sdkusage: [/api\.github\.com.*(no such host|dial tcp)/, 'partly: the SDK release-age check needs api.github.com'],
  };
  if (silent[name] && silent[name][0].test(log)) {
    notRun.set(name, silent[name][1]);
  }
  if (name === 'code-rules' && log && !/semgrep path:/.test(log)) {
    notRun.set(name, 'semgrep not installed');
  }
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  id = report.id;
  version = report.version;
  for (const [analyzer, diags] of Object.entries(report['plugin-validator'] ?? {})) {
    for (const d of diags) {
      const key = `${analyzer}\0${d.Name}\0${d.Title}\0${d.Detail}`;
      if (offline.test(`${d.Title} ${d.Detail}`)) {
        notRun.set(analyzer, `${d.Title}: ${d.Detail.split('\n')[0]}`.slice(0, 160));
      } else if (!(analyzer === 'osv-scanner' && notRun.has('osv-scanner'))) {
        findings.set(key, { analyzer, ...d });
      }
    }
  }
}
const order = ['error', 'warning', 'suspected', 'recommendation', 'ok'];
const list = [...findings.values()].sort((a, b) => order.indexOf(a.Severity) - order.indexOf(b.Severity));
for (const f of list) {
  console.log(`${f.Severity.toUpperCase()} ${f.analyzer}/${f.Name}: ${f.Title}`);
  const detail = f.Detail.trim().split('\n').slice(0, 12).join('\n    ');
  if (detail) {
    console.log(`    ${detail}`);
  }
}
for (const [name, why] of notRun) {
  console.log(`NOT RUN ${name}: ${why}`);
}
const count = (s) => list.filter((f) => f.Severity === s).length;
fs.writeFileSync(
  'artifacts/validator-report.json',
  JSON.stringify({ id, version, findings: list, notRun: Object.fromEntries(notRun) }, null, 2) + '\n'
);
console.log(
  `validator: ${id}@${version}: ${count('error')} errors, ${count('warning')} warnings, ` +
    `${count('suspected')} suspected, ${count('recommendation')} recommendations; ` +
    `${notRun.size} analyzers could not run (fully) here`
);
process.exit(count('error') > 0 || (strict === '1' && count('warning') > 0) ? 1 : 0);
NODE
