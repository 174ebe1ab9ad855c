/** Plugin ids of the suite; they must match the plugin.json files. */
export const APP_ID = 'pyflare-observability-app';
export const DATASOURCE_ID = 'pyflare-observability-datasource';
export const TRACE_PANEL_ID = 'pyflare-trace-panel';
export const DRIFT_PANEL_ID = 'pyflare-drift-panel';

/** Default ports of the PyFlare service (see the service's env contract). */
export const DEFAULT_SERVICE_URL = 'http://localhost:8780';
export const DEFAULT_OTLP_HTTP_PORT = 4318;
export const DEFAULT_OTLP_GRPC_PORT = 4317;
