// Service configuration from the environment, validated once at start. A bad value stops the
// service with a message naming the variable rather than failing later in some odd way.
import path from 'node:path';
import { z } from 'zod';
import type { PrivacySettings } from './privacy/index.js';
import type { LimitSettings } from './limits/index.js';
import type { TlsFiles } from './limits/tls.js';
import type { SamplingSettings } from './sampling/index.js';
import os from 'node:os';
import { autoCeiling, parseSize } from './storage/memoryFit.js';

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

/** A size as DuckDB reads it (128MB = 128 * 10^6 bytes, 2GiB = 2 * 2^30). */
const SIZE_RE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
const size = (def: string) => z.string().regex(SIZE_RE, 'must be a size such as 128MB or 2GiB').default(def);

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
  /**
   * DuckDB's memory cap (its buffer pool); DuckDB itself defaults to 80% of RAM. What DuckDB
   * cannot evict (the trace lookup index, the rollups' open segments) grows with the stored spans:
   * with 10M spans stored a checkpoint under 128MB ran out of memory (144MB held), which makes
   * DuckDB invalidate the database. The limit DuckDB runs with starts at the next setting and
   * follows that need up to this cap (storage/memoryFit.ts). `auto`: a quarter of the memory the
   * process may use (memoryFit.autoCeiling), so the cap grows with the machine it runs on.
   */
  PYFLARE_DUCKDB_MEMORY_LIMIT: z
    .string()
    .refine((v) => v.toLowerCase() === 'auto' || SIZE_RE.test(v), 'must be auto or a size such as 512MB or 2GiB')
    .default('auto'),
  /** DuckDB's memory limit while little is pinned (its cache stays this small on a small database). */
  PYFLARE_DUCKDB_MEMORY_START: size('128MB'),
  /**
   * on: DuckDB's allocator and V8's heap growth are set for a smaller RSS (memoryTuning.ts);
   * off: both keep their defaults. Applied by main.ts before the service loads; checked here.
   */
  PYFLARE_MEMORY_TUNING: z.string().trim().toLowerCase().pipe(z.enum(['on', 'off'], 'must be on or off')).default('on'),
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
  /** PII redaction at ingest (src/privacy): detectors + per-attribute rules, before the WAL and storage. */
  PYFLARE_REDACTION: bool(false),
  /** Default mode of the detectors: mask ([REDACTED:email]), hash (keyed HMAC token) or drop. */
  PYFLARE_REDACTION_MODE: z.enum(['mask', 'hash', 'drop'], { message: 'must be mask, hash or drop' }).default('mask'),
  /** YAML/JSON policy: per-detector modes, per-attribute rules, user regexes (src/privacy/redactor.ts). */
  PYFLARE_REDACTION_POLICY_FILE: z.string().min(1).optional(),
  /** HMAC key of hash mode and key of the WAL body encryption; required with redaction or content dropping. */
  PYFLARE_REDACTION_KEY: z.string().min(16, 'must be at least 16 characters').max(1024).optional(),
  /** Drop prompt/completion content entirely (content columns, content attributes and events). */
  PYFLARE_DROP_CONTENT: bool(false),
  /** Abuse limits (src/limits): per-client (API key, else IP) request and span rates; 0 = unlimited. */
  PYFLARE_KEY_REQUESTS_PER_SECOND: int(1000, 0, 10_000_000),
  PYFLARE_KEY_SPANS_PER_SECOND: int(0, 0, 1_000_000_000),
  /** Requests in progress across all listeners; beyond it 503 + Retry-After. 0 = unlimited. */
  PYFLARE_MAX_CONCURRENT_REQUESTS: int(512, 0, 1_000_000),
  /** Slow-client timeouts of the HTTP listeners (and the gRPC idle timeout = keep-alive). */
  PYFLARE_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  PYFLARE_REQUEST_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  PYFLARE_KEEPALIVE_TIMEOUT_MS: int(5_000, 100, 3_600_000),
  /** Body cap of the REST routes (queries, keys, budgets, drift); OTLP/HTTP has PYFLARE_MAX_BODY_BYTES. */
  PYFLARE_MAX_REST_BODY_BYTES: int(8 * MiB, 1024, 1024 * MiB),
  /** PEM certificate + key: every listener (REST, OTLP/HTTP, gRPC) speaks TLS. */
  PYFLARE_TLS_CERT_FILE: z.string().min(1).optional(),
  PYFLARE_TLS_KEY_FILE: z.string().min(1).optional(),
  /** PEM CA: clients must present a certificate it signed (mutual TLS). */
  PYFLARE_TLS_CA_FILE: z.string().min(1).optional(),
  /** Fraction of traces stored (by trace-id hash, the same on every replica); 1 = all. */
  PYFLARE_SAMPLING_RATE: z.coerce.number({ message: 'must be a number' }).min(0, 'must be 0-1').max(1, 'must be 0-1').default(1),
  /** Always-keep rules: a trace with an error / a slow / an expensive span, or of these services / models. */
  PYFLARE_SAMPLING_KEEP_ERRORS: bool(true),
  PYFLARE_SAMPLING_KEEP_SLOW_MS: int(0, 0, 86_400_000),
  PYFLARE_SAMPLING_KEEP_COST_USD: z.coerce.number({ message: 'must be a number' }).min(0, 'must be >= 0').default(0),
  PYFLARE_SAMPLING_KEEP_SERVICES: z.string().default(''),
  PYFLARE_SAMPLING_KEEP_MODELS: z.string().default(''),
  /** Days kept per data kind (0 = forever); each defaults to PYFLARE_RETENTION_DAYS. */
  PYFLARE_RETENTION_SPANS_DAYS: int(-1, -1, 36500),
  PYFLARE_RETENTION_INFERENCES_DAYS: int(-1, -1, 36500),
  /** Deletion audit records (GDPR requests) are kept this long; default 5 years. */
  PYFLARE_RETENTION_AUDIT_DAYS: int(1826, 0, 36500),
});

/** Variables whose values never appear in messages or logs. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(['PYFLARE_API_KEY', 'PYFLARE_CLICKHOUSE_PASSWORD', 'PYFLARE_REDACTION_KEY']);

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
  duckdbMemoryStart: string;
  /** 0 = automatic. */
  duckdbThreads: number;
  commitIntervalMs: number;
  checkpointIntervalMs: number;
  storage: 'duckdb' | 'clickhouse';
  clickhouse: ClickHouseSettings;
  privacy: PrivacySettings;
  limits: LimitSettings;
  /** undefined = plain TCP. */
  tls: TlsFiles | undefined;
  sampling: SamplingSettings;
  /** Days per data kind (0 = keep forever). */
  retention: { spansDays: number; inferencesDays: number; auditDays: number };
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

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** A value as echoed in messages: URL credentials (`//user:pass@`) are masked. */
export function withoutCredentials(v: string): string {
  return v.replace(/\/\/[^/@\s]*@/g, '//***@');
}

/** Reads the PYFLARE_* variables; empty strings count as unset. Throws ConfigError naming each bad variable. */
/** 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

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
        const secret = SECRET_VARIABLES.has(name);
        return `${name}: ${i.message}${got !== undefined && !secret ? ` (got "${withoutCredentials(got)}")` : ''}`;
      })
    );
  }
  const c = parsed.data;
  const problems: string[] = [];
  // No authentication is for a developer's own machine: reachable only from it.
  if (c.PYFLARE_AUTH_DISABLED && !isLoopbackHost(c.PYFLARE_HOST)) {
    problems.push(
      `PYFLARE_AUTH_DISABLED: only allowed with PYFLARE_HOST on a loopback address (127.0.0.1, ::1 or localhost), got "${c.PYFLARE_HOST}": anyone who can reach the ports could read and write all data. Set an API key (PYFLARE_API_KEY) instead`
    );
  }
  if ((c.PYFLARE_REDACTION || c.PYFLARE_DROP_CONTENT) && c.PYFLARE_REDACTION_KEY === undefined) {
    problems.push('PYFLARE_REDACTION_KEY: required when PYFLARE_REDACTION or PYFLARE_DROP_CONTENT is on (HMAC key of hash mode and WAL encryption key)');
  }
  if ((c.PYFLARE_TLS_CERT_FILE === undefined) !== (c.PYFLARE_TLS_KEY_FILE === undefined)) {
    problems.push('PYFLARE_TLS_CERT_FILE: set together with PYFLARE_TLS_KEY_FILE (both or neither)');
  }
  if (c.PYFLARE_TLS_CA_FILE !== undefined && c.PYFLARE_TLS_CERT_FILE === undefined) {
    problems.push('PYFLARE_TLS_CA_FILE: needs PYFLARE_TLS_CERT_FILE and PYFLARE_TLS_KEY_FILE');
  }
  const autoLimit = c.PYFLARE_DUCKDB_MEMORY_LIMIT.toLowerCase() === 'auto';
  const memoryLimit = autoLimit ? `${autoCeiling(os.totalmem(), process.constrainedMemory?.())}B` : c.PYFLARE_DUCKDB_MEMORY_LIMIT;
  const limitBytes = parseSize(memoryLimit);
  // START left at its default follows a LIMIT set below it (a fixed small limit is one variable).
  const followsLimit = raw.PYFLARE_DUCKDB_MEMORY_START === undefined && parseSize(c.PYFLARE_DUCKDB_MEMORY_START) > limitBytes;
  const memoryStart = followsLimit ? memoryLimit : c.PYFLARE_DUCKDB_MEMORY_START;
  if (limitBytes === 0) {
    problems.push('PYFLARE_DUCKDB_MEMORY_LIMIT: must be more than 0');
  } else if (parseSize(memoryStart) > limitBytes) {
    const shown = autoLimit ? `auto = ${memoryLimit}` : memoryLimit;
    problems.push(
      `PYFLARE_DUCKDB_MEMORY_START: must not exceed PYFLARE_DUCKDB_MEMORY_LIMIT (got ${memoryStart} and ${shown}); set both equal for a fixed limit`
    );
  }
  if (c.PYFLARE_HEADERS_TIMEOUT_MS > c.PYFLARE_REQUEST_TIMEOUT_MS) {
    problems.push('PYFLARE_HEADERS_TIMEOUT_MS: must not exceed PYFLARE_REQUEST_TIMEOUT_MS');
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
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
    duckdbMemoryLimit: memoryLimit,
    duckdbMemoryStart: memoryStart,
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
    privacy: {
      enabled: c.PYFLARE_REDACTION,
      mode: c.PYFLARE_REDACTION_MODE,
      policyFile: c.PYFLARE_REDACTION_POLICY_FILE,
      key: c.PYFLARE_REDACTION_KEY,
      dropContent: c.PYFLARE_DROP_CONTENT,
    },
    limits: {
      keyRequestsPerSecond: c.PYFLARE_KEY_REQUESTS_PER_SECOND,
      keySpansPerSecond: c.PYFLARE_KEY_SPANS_PER_SECOND,
      maxConcurrentRequests: c.PYFLARE_MAX_CONCURRENT_REQUESTS,
      headersTimeoutMs: c.PYFLARE_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: c.PYFLARE_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: c.PYFLARE_KEEPALIVE_TIMEOUT_MS,
      maxRestBodyBytes: c.PYFLARE_MAX_REST_BODY_BYTES,
    },
    sampling: {
      rate: c.PYFLARE_SAMPLING_RATE,
      keepErrors: c.PYFLARE_SAMPLING_KEEP_ERRORS,
      keepSlowMs: c.PYFLARE_SAMPLING_KEEP_SLOW_MS,
      keepCostUsd: c.PYFLARE_SAMPLING_KEEP_COST_USD,
      keepServices: list(c.PYFLARE_SAMPLING_KEEP_SERVICES),
      keepModels: list(c.PYFLARE_SAMPLING_KEEP_MODELS),
    },
    retention: {
      spansDays: c.PYFLARE_RETENTION_SPANS_DAYS < 0 ? c.PYFLARE_RETENTION_DAYS : c.PYFLARE_RETENTION_SPANS_DAYS,
      inferencesDays: c.PYFLARE_RETENTION_INFERENCES_DAYS < 0 ? c.PYFLARE_RETENTION_DAYS : c.PYFLARE_RETENTION_INFERENCES_DAYS,
      auditDays: c.PYFLARE_RETENTION_AUDIT_DAYS,
    },
    tls:
      c.PYFLARE_TLS_CERT_FILE !== undefined && c.PYFLARE_TLS_KEY_FILE !== undefined
        ? { certFile: c.PYFLARE_TLS_CERT_FILE, keyFile: c.PYFLARE_TLS_KEY_FILE, caFile: c.PYFLARE_TLS_CA_FILE }
        : undefined,
  };
}
