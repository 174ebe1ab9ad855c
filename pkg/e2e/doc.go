// Package e2e holds the protocol tests of the data source backend: they start
// the real PyFlare service (node ingest/dist/server.js) and talk to the backend
// over gRPC, in-process via the SDK's datasourcetest and as the built
// executable via hashicorp go-plugin, the way Grafana does.
//
// Needs `npm run build` first (service bundle + dist/datasource/gpx_pyflare_*).
// Set PYFLARE_SKIP_E2E=1 to skip.
package e2e
