// Service configuration from the environment, validated once at start. A bad value stops the
// service with a message naming the variable rather than failing later in some odd way.
import path from 'node:path';
import { z } from 'zod';

const MiB = 1024 * 1024;

const port = (def: number) =>
  z.coerce
    .number({ message: 'must be a port number (0-65535; 0 picks a free port)' })
    .int('must be an integer port number')
    .min(0, 'must be 0-65535')
    .max(65535, 'must be 0-65535')
    .default(def);

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (def: number, min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be an integer')
    .min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`)
    .default(def);

export const configSchema = z.object({
  PYFLARE_DATA_DIR: z.string().default('./data'),
  PYFLARE_HOST: z.string().min(1).default('0.0.0.0'),
  PYFLARE_HTTP_PORT: port(8780),
  PYFLARE_OTLP_HTTP_PORT: port(4318),
  PYFLARE_OTLP_GRPC_PORT: port(4317),
  PYFLARE_API_KEY: z.string().min(8, 'must be at least 8 characters').max(512).optional(),
  PYFLARE_AUTH_DISABLED: bool(false),
  PYFLARE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Days of spans kept; 0 keeps everything. */
  PYFLARE_RETENTION_DAYS: int(30, 0, 36500),
  /** Optional YAML/JSON price overrides, read by the price book. */
  PYFLARE_PRICES_FILE: z.string().min(1).optional(),
  /** Cap on a request body after decompression (a gzip bomb stops here). */
  PYFLARE_MAX_BODY_BYTES: int(16 * MiB, 1024, 1024 * MiB),
  /** Spans acknowledged (in the WAL) but not yet in DuckDB; beyond this intake answers 429. */
  PYFLARE_QUEUE_MAX_SPANS: int(200_000, 100, 100_000_000),
  /** The same bound in request bytes (what memory follows); OTLP/HTTP waits up to 2 s for room. */
  PYFLARE_QUEUE_MAX_BYTES: int(16 * MiB, 64 * 1024, 4096 * MiB),
  /** DuckDB's memory cap (its buffer pool); DuckDB itself defaults to 80% of RAM. */
  PYFLARE_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 128MB or 2GiB')
    .default('128MB'),
  /** DuckDB threads; 0 = one per core but one (the JS thread needs a core of its own). */
  PYFLARE_DUCKDB_THREADS: int(0, 0, 1024),
  /** Minimum spacing of the WAL -> DuckDB apply runs; larger batches, fresher reads when smaller. */
  PYFLARE_COMMIT_INTERVAL_MS: int(200, 0, 60_000),
  /** How often (at most) the WAL is sealed, DuckDB CHECKPOINTed and applied WAL segments deleted. */
  PYFLARE_CHECKPOINT_INTERVAL_MS: int(10_000, 10, 3_600_000),
  /** Where spans, drift and costs live: the embedded DuckDB files, or a ClickHouse server/cluster. */
  PYFLARE_STORAGE: z.enum(['duckdb', 'clickhouse'], { message: 'must be duckdb or clickhouse' }).default('duckdb'),
  /** http(s)://host:8123 of a ClickHouse server, or chdb:<dir> for the engine in-process (tests, one machine). */
  PYFLARE_CLICKHOUSE_URL: z
    .string()
    .regex(/^(https?:\/\/[^\s]+|chdb:.*)$/, 'must be an http(s):// URL or chdb:<directory>')
    .default('http://127.0.0.1:8123'),
  PYFLARE_CLICKHOUSE_USER: z.string().min(1).default('default'),
  PYFLARE_CLICKHOUSE_PASSWORD: z.string().default(''),
  PYFLARE_CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)')
    .default('pyflare'),
  /** Set for a cluster: tables become Replicated* + Distributed, created ON CLUSTER. */
  PYFLARE_CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)')
    .optional(),
});

export interface Config {
  dataDir: string;
  host: string;
  httpPort: number;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  apiKey: string | undefined;
  authDisabled: boolean;
  logLevel: z.output<typeof configSchema>['PYFLARE_LOG_LEVEL'];
  retentionDays: number;
  pricesFile: string | undefined;
  maxBodyBytes: number;
  queueMaxSpans: number;
  queueMaxBytes: number;
  duckdbMemoryLimit: string;
  /** 0 = automatic. */
  duckdbThreads: number;
  commitIntervalMs: number;
  checkpointIntervalMs: number;
  storage: 'duckdb' | 'clickhouse';
  clickhouse: ClickHouseSettings;
}

export interface ClickHouseSettings {
  url: string;
  username: string;
  password: string;
  database: string;
  cluster: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the PYFLARE_* variables; empty strings count as unset. Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') {
      raw[key] = v.trim();
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '(env)');
        const got = raw[name];
        const secret = name === 'PYFLARE_API_KEY' || name === 'PYFLARE_CLICKHOUSE_PASSWORD';
        return `${name}: ${i.message}${got !== undefined && !secret ? ` (got "${got}")` : ''}`;
      })
    );
  }
  const c = parsed.data;
  return {
    dataDir: path.resolve(c.PYFLARE_DATA_DIR),
    host: c.PYFLARE_HOST,
    httpPort: c.PYFLARE_HTTP_PORT,
    otlpHttpPort: c.PYFLARE_OTLP_HTTP_PORT,
    otlpGrpcPort: c.PYFLARE_OTLP_GRPC_PORT,
    apiKey: c.PYFLARE_API_KEY,
    authDisabled: c.PYFLARE_AUTH_DISABLED,
    logLevel: c.PYFLARE_LOG_LEVEL,
    retentionDays: c.PYFLARE_RETENTION_DAYS,
    pricesFile: c.PYFLARE_PRICES_FILE,
    maxBodyBytes: c.PYFLARE_MAX_BODY_BYTES,
    queueMaxSpans: c.PYFLARE_QUEUE_MAX_SPANS,
    queueMaxBytes: c.PYFLARE_QUEUE_MAX_BYTES,
    duckdbMemoryLimit: c.PYFLARE_DUCKDB_MEMORY_LIMIT,
    duckdbThreads: c.PYFLARE_DUCKDB_THREADS,
    commitIntervalMs: c.PYFLARE_COMMIT_INTERVAL_MS,
    checkpointIntervalMs: c.PYFLARE_CHECKPOINT_INTERVAL_MS,
    storage: c.PYFLARE_STORAGE,
    clickhouse: {
      url: c.PYFLARE_CLICKHOUSE_URL,
      username: c.PYFLARE_CLICKHOUSE_USER,
      password: c.PYFLARE_CLICKHOUSE_PASSWORD,
      database: c.PYFLARE_CLICKHOUSE_DATABASE,
      cluster: c.PYFLARE_CLICKHOUSE_CLUSTER,
    },
  };
}
