#!/usr/bin/env bash
# Runs every test of the suite, on a fresh clone too: installs what is missing, builds all
# parts (plugins, Go backend for every platform, service), then runs each test runner and
# prints one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC

logs=$(mktemp -d)
passed=0
failed=0
failures=()

# step NAME COMMAND...: runs a step, keeps its output, fails the suite (not the script) on error.
step() {
  local name=$1
  shift
  printf '\n==== %s: %s\n' "$name" "$*"
  local start=$SECONDS
  if "$@" 2>&1 | tee "$logs/$name.log"; then
    printf '==== %s ok (%ss)\n' "$name" $((SECONDS - start))
  else
    printf '==== %s FAILED (%ss)\n' "$name" $((SECONDS - start))
    failures+=("$name")
  fi
}

# count NAME PASSED FAILED: adds one runner's counts to the totals.
count() {
  passed=$((passed + ${2:-0}))
  failed=$((failed + ${3:-0}))
  printf '  %-10s %s passed, %s failed\n' "$1" "${2:-0}" "${3:-0}"
}

# Installing and building are preconditions: without them no test can run.
bash scripts/install-deps.sh || { echo "install failed"; exit 1; }
step build npm run build
if [[ " ${failures[*]-} " == *" build "* ]]; then
  echo "build failed: not running tests"
  exit 1
fi

step typecheck npm run typecheck
step lint npx eslint --max-warnings=0 src query-model/src ingest/src tests
step jest npm run test:frontend
step service npm run test:service
step go go test -count=1 -v ./pkg/...
step browser npm run test:browser
step package bash -c 'PYFLARE_SKIP_BUILD=1 bash scripts/package.sh && npx tsx --test tests/package/*.test.ts'

echo
echo "==== totals"
jp=$(grep -oE '^Tests: .*' "$logs/jest.log" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | tail -1)
jf=$(grep -oE '^Tests: .*' "$logs/jest.log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | tail -1)
count jest "${jp:-0}" "${jf:-0}"
sp=$(grep -oE '^# pass [0-9]+' "$logs/service.log" | awk '{s+=$3} END {print s+0}')
sf=$(grep -oE '^# fail [0-9]+' "$logs/service.log" | awk '{s+=$3} END {print s+0}')
count service "$sp" "$sf"
gp=$(grep -cE '^\s*--- PASS' "$logs/go.log")
gf=$(grep -cE '^\s*--- FAIL' "$logs/go.log")
count go "$gp" "$gf"
bp=$(grep -oE '^# pass [0-9]+' "$logs/browser.log" | awk '{s+=$3} END {print s+0}')
bf=$(grep -oE '^# fail [0-9]+' "$logs/browser.log" | awk '{s+=$3} END {print s+0}')
count browser "$bp" "$bf"
pp=$(grep -oE '^# pass [0-9]+' "$logs/package.log" | awk '{s+=$3} END {print s+0}')
pf=$(grep -oE '^# fail [0-9]+' "$logs/package.log" | awk '{s+=$3} END {print s+0}')
count package "$pp" "$pf"
for f in typecheck lint; do
  if [[ " ${failures[*]-} " == *" $f "* ]]; then failed=$((failed + 1)); fi
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed steps: ${failures[*]}"
  [ "$failed" -eq 0 ] && failed=${#failures[@]}
fi
echo "suite: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ]
