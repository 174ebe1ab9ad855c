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

PYFLARE_SKIP_BROWSER=1 bash scripts/install-deps.sh
if [ "${PYFLARE_SKIP_BUILD:-0}" != "1" ]; then
  npm run build
fi
mkdir -p "$PYFLARE_DATA_DIR"

node --enable-source-maps ingest/dist/server.js &
svc=$!
trap 'kill -TERM $svc 2>/dev/null; wait $svc 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PYFLARE_HTTP_PORT/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 $svc 2>/dev/null; then echo "the service exited; see its log above" >&2; exit 1; fi
  sleep 0.2
done

npx tsx ingest/src/demo/seed.ts --url "http://127.0.0.1:$PYFLARE_OTLP_HTTP_PORT" --api-key "$PYFLARE_API_KEY"

cat <<MSG

PyFlare is running.
  REST API + frames     http://127.0.0.1:$PYFLARE_HTTP_PORT/api/v1   (status: /api/v1/status)
  OTLP/HTTP             http://127.0.0.1:$PYFLARE_OTLP_HTTP_PORT/v1/traces
  OTLP/gRPC             127.0.0.1:$PYFLARE_OTLP_GRPC_PORT
  API key               $PYFLARE_API_KEY   (Authorization: Bearer <key>)
  Data directory        $PYFLARE_DATA_DIR
  Built plugins         $PWD/dist   (mount as <grafana>/plugins/pyflare-observability-app)
  Health / metrics      http://127.0.0.1:$PYFLARE_HTTP_PORT/healthz  /metrics

Try: curl -H "Authorization: Bearer $PYFLARE_API_KEY" "http://127.0.0.1:$PYFLARE_HTTP_PORT/api/v1/traces?limit=5"
Ctrl-C stops the service.
MSG
wait $svc
