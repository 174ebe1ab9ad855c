#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds the plugins and the
# service, starts the service with embedded storage (DuckDB) and sends it demo traffic
# over real OTLP, then prints where everything is. Ctrl-C stops it (the service flushes).
set -euo pipefail
cd "$(dirname "$0")/.."

export PYFLARE_DATA_DIR="${PYFLARE_DATA_DIR:-$PWD/.pyflare-data}"
export PYFLARE_HOST="${PYFLARE_HOST:-127.0.0.1}"
export PYFLARE_HTTP_PORT="${PYFLARE_HTTP_PORT:-8780}"
export PYFLARE_OTLP_HTTP_PORT="${PYFLARE_OTLP_HTTP_PORT:-4318}"
export PYFLARE_OTLP_GRPC_PORT="${PYFLARE_OTLP_GRPC_PORT:-4317}"
export PYFLARE_API_KEY="${PYFLARE_API_KEY:-pyflare-dev-key}"

PYFLARE_SKIP_BROWSER=1 PYFLARE_SKIP_PROMETHEUS=1 bash scripts/install-deps.sh
if [ "${PYFLARE_SKIP_BUILD:-0}" != "1" ]; then
  npm run build
fi
mkdir -p "$PYFLARE_DATA_DIR"

node --enable-source-maps ingest/dist/server.js &
svc=$!
demo=''
trap 'if [ -n "$demo" ]; then kill -TERM $demo 2>/dev/null; fi; kill -TERM $svc 2>/dev/null; wait $svc 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PYFLARE_HTTP_PORT/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 $svc 2>/dev/null; then echo "the service exited; see its log above" >&2; exit 1; fi
  sleep 0.2
done

# Demo traffic (ingest/src/demo/README.md): PYFLARE_DEMO_BACKFILL of history at once, then
# live traffic at PYFLARE_DEMO_RATE traces/s for as long as the service runs. PYFLARE_DEMO=0: none.
if [ "${PYFLARE_DEMO:-1}" != "0" ]; then
  ready="$PYFLARE_DATA_DIR/.demo-backfilled"
  rm -f "$ready"
  node_modules/.bin/tsx ingest/src/demo/cli.ts --url "http://127.0.0.1:$PYFLARE_OTLP_HTTP_PORT" \
    --api-url "http://127.0.0.1:$PYFLARE_HTTP_PORT" --api-key "$PYFLARE_API_KEY" \
    --backfill "${PYFLARE_DEMO_BACKFILL:-6h}" --rate "${PYFLARE_DEMO_RATE:-0.2}" --seed "${PYFLARE_DEMO_SEED:-42}" \
    --ready-file "$ready" &
  demo=$!
  until [ -f "$ready" ]; do
    if ! kill -0 $demo 2>/dev/null; then echo "the demo generator exited; see its output above" >&2; exit 1; fi
    sleep 0.5
  done
fi

cat <<MSG

PyFlare is running.
  REST API + frames     http://127.0.0.1:$PYFLARE_HTTP_PORT/api/v1   (status: /api/v1/status)
  OTLP/HTTP             http://127.0.0.1:$PYFLARE_OTLP_HTTP_PORT/v1/traces
  OTLP/gRPC             127.0.0.1:$PYFLARE_OTLP_GRPC_PORT
  API key               $PYFLARE_API_KEY   (Authorization: Bearer <key>)
  Data directory        $PYFLARE_DATA_DIR
  Built plugins         $PWD/dist   (mount as <grafana>/plugins/pyflare-observability-app)
  Health / metrics      http://127.0.0.1:$PYFLARE_HTTP_PORT/healthz  /metrics

  Demo traffic          ${PYFLARE_DEMO_RATE:-0.2} traces/s (PYFLARE_DEMO=0 turns it off); dashboards: docs/dashboards.md

Try: curl -H "Authorization: Bearer $PYFLARE_API_KEY" "http://127.0.0.1:$PYFLARE_HTTP_PORT/api/v1/traces?limit=5"
Ctrl-C stops the service.
MSG
wait $svc
