// Generates realistic LLM-application spans straight into a PyFlare DuckDB file with SQL
// (OTLP would take hours at 10M spans); used by bench/query.bench.ts. Traces: a server root span, an agent span and 2-10
// children (LLM calls, tools, retrievers, embeddings, chains), spread evenly over `days`
// ending at `endMs`, inserted in time order like live ingest. Deterministic: values come
// from hash(trace, span) so two runs produce the same data.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DuckDbStorage } from '../ingest/src/storage/duckdb.js';

export interface GenerateOptions {
  dataDir: string;
  spans: number;
  days: number;
  endMs: number;
  onProgress?: (spansSoFar: number) => void;
  /** Runs on the raw connection before the inserts (e.g. drop indexes for a bulk load). */
  beforeInsert?: (c: DuckDBConnection) => Promise<void>;
}

export const BENCH_SERVICES = ['checkout-api', 'support-agent', 'rag-search', 'billing', 'recommendations', 'search-gateway', 'onboarding', 'analytics'];
export const BENCH_MODELS = [
  ['gpt-4o-2024-08-06', 'openai', 2.5, 10],
  ['gpt-4o-mini-2024-07-18', 'openai', 0.15, 0.6],
  ['claude-sonnet-4-20250514', 'anthropic', 3, 15],
  ['claude-3-5-haiku-20241022', 'anthropic', 0.8, 4],
  ['gemini-2.0-flash', 'gcp.gemini', 0.1, 0.4],
  ['llama-3.1-70b-instruct', 'groq', 0.59, 0.79],
] as const;
const AGENTS = ['planner', 'support', 'researcher', 'coder'];
const TOOLS = ['search_orders', 'get_weather', 'lookup_user', 'send_email', 'run_sql', 'fetch_url'];

const AVG_SPANS_PER_TRACE = 8; // 4 + (h % 9)

const list = (xs: readonly (string | number)[]) => `[${xs.map((x) => (typeof x === 'number' ? String(x) : `'${x}'`)).join(', ')}]`;

function chunkSql(t0: number, t1: number, fromNs: bigint, stepNs: bigint): string {
  const models = list(BENCH_MODELS.map((m) => m[0]));
  const providers = list(BENCH_MODELS.map((m) => m[1]));
  const pIn = list(BENCH_MODELS.map((m) => m[2]));
  const pOut = list(BENCH_MODELS.map((m) => m[3]));
  // DuckDB lists are 1-based.
  return `
INSERT INTO spans BY NAME
WITH tr AS (
  SELECT t, md5(t::VARCHAR) AS trace_id,
    ${fromNs}::BIGINT + t * ${stepNs}::BIGINT + (hash(t, 2) % ${stepNs})::BIGINT AS ts,
    4 + (hash(t, 3) % 9)::INT AS n,
    (hash(t, 4) % ${BENCH_SERVICES.length})::INT AS svc,
    'user-' || (hash(t, 8) % 5000)::VARCHAR AS user_id,
    'session-' || (t // 4)::VARCHAR AS session_id,
    ['free', 'free', 'silver', 'gold'][1 + (hash(t, 9) % 4)::INT] AS tier,
    'tenant-' || (hash(t, 10) % 200)::VARCHAR AS tenant
  FROM range(${t0}, ${t1}) r(t)
), sp AS (
  SELECT tr.*, k, hash(t, k, 5) AS hk,
    ((hash(t, k, 6) % 1000000) + 1) / 1000001.0 AS u1,
    (hash(t, k, 7) % 1000000) / 1000000.0 AS u2
  FROM tr, range(12) kk(k) WHERE k < n
), kinds AS (
  SELECT *,
    CASE WHEN k = 0 THEN 'span' WHEN k = 1 THEN 'agent'
      WHEN hk % 100 < 50 THEN 'llm' WHEN hk % 100 < 70 THEN 'tool' WHEN hk % 100 < 82 THEN 'retriever'
      WHEN hk % 100 < 92 THEN 'embedding' ELSE 'chain' END AS sk,
    ((svc + (hk >> 8) % 3) % ${BENCH_MODELS.length})::INT + 1 AS mi,
    sqrt(-2 * ln(u1)) * cos(2 * pi() * u2) AS z
  FROM sp
), shaped AS (
  SELECT *,
    CASE sk WHEN 'llm' THEN exp(ln(800) + 0.7 * z) WHEN 'tool' THEN exp(ln(120) + 0.8 * z)
      WHEN 'retriever' THEN exp(ln(200) + 0.5 * z) WHEN 'embedding' THEN exp(ln(80) + 0.4 * z)
      WHEN 'chain' THEN exp(ln(30) + 0.5 * z)
      ELSE (n - 2) * 400 + 2500 + (CASE WHEN k = 0 THEN 10 ELSE 0 END) END AS dur_ms,
    CASE WHEN k = 0 THEN 0 WHEN k = 1 THEN 2 ELSE 5 + (k - 2) * 400 + (hk % 300)::INT END AS off_ms,
    CASE WHEN sk = 'llm' THEN 50 + ((hk >> 12) % 4000)::INT WHEN sk = 'embedding' THEN 8 + ((hk >> 12) % 500)::INT END AS in_tok,
    CASE WHEN sk = 'llm' THEN 10 + ((hk >> 24) % 1000)::INT END AS out_tok,
    CASE WHEN sk = 'llm' AND (hk >> 32) % 4 = 0 THEN ((hk >> 12) % 2000)::INT END AS cache_tok
  FROM kinds
)
SELECT
  trace_id,
  substr(md5(t::VARCHAR || '-' || k::VARCHAR), 1, 16) AS span_id,
  CASE WHEN k = 0 THEN '' WHEN k = 1 THEN substr(md5(t::VARCHAR || '-0'), 1, 16) ELSE substr(md5(t::VARCHAR || '-1'), 1, 16) END AS parent_span_id,
  '' AS trace_state,
  CASE sk WHEN 'span' THEN 'POST /api/' || ${list(BENCH_SERVICES)}[svc + 1] WHEN 'agent' THEN 'invoke_agent ' || ${list(AGENTS)}[1 + svc % 4]
    WHEN 'llm' THEN 'chat ' || ${models}[mi] WHEN 'tool' THEN 'execute_tool ' || ${list(TOOLS)}[1 + ((hk >> 16) % 6)::INT]
    WHEN 'retriever' THEN 'retrieval docs' WHEN 'embedding' THEN 'embeddings text-embedding-3-small' ELSE 'chain step' END AS name,
  CASE WHEN k = 0 THEN 'server' WHEN sk IN ('llm', 'embedding', 'retriever') THEN 'client' ELSE 'internal' END AS kind,
  CASE WHEN sk = 'retriever' THEN 'vector-db' ELSE ${list(BENCH_SERVICES)}[svc + 1] END AS service,
  'bench' AS scope_name, '1' AS scope_version,
  ts + off_ms::BIGINT * 1000000 AS start_ns,
  ts + off_ms::BIGINT * 1000000 + (dur_ms * 1000000)::BIGINT AS end_ns,
  (dur_ms * 1000000)::BIGINT AS duration_ns,
  CASE WHEN k = 0 AND hk % 1000 < 5 THEN 2 WHEN k >= 2 AND hk % 1000 < 15 THEN 2 ELSE 0 END::UTINYINT AS status_code,
  CASE WHEN (k = 0 AND hk % 1000 < 5) OR (k >= 2 AND hk % 1000 < 15) THEN 'upstream error' ELSE '' END AS status_message,
  sk AS span_kind,
  CASE WHEN sk = 'llm' THEN ${providers}[mi] WHEN sk = 'embedding' THEN 'openai' END AS provider,
  CASE WHEN sk = 'llm' THEN regexp_replace(${models}[mi], '-20\\d\\d-?\\d\\d-?\\d\\d$', '') WHEN sk = 'embedding' THEN 'text-embedding-3-small' END AS request_model,
  CASE WHEN sk = 'llm' THEN ${models}[mi] WHEN sk = 'embedding' THEN 'text-embedding-3-small' END AS response_model,
  CASE sk WHEN 'llm' THEN 'chat' WHEN 'embedding' THEN 'embeddings' WHEN 'tool' THEN 'execute_tool' WHEN 'retriever' THEN 'retrieval'
    WHEN 'agent' THEN 'invoke_agent' END AS operation,
  in_tok AS input_tokens, out_tok AS output_tokens, cache_tok AS cache_read_tokens,
  NULL::BIGINT AS cache_write_tokens, NULL::BIGINT AS reasoning_tokens,
  CASE WHEN sk = 'llm' THEN round(in_tok * ${pIn}[mi] + out_tok * ${pOut}[mi])::BIGINT WHEN sk = 'embedding' THEN round(in_tok * 0.02)::BIGINT END AS cost_micros,
  CASE WHEN sk IN ('llm', 'embedding') THEN 'computed' END AS cost_source,
  CASE WHEN sk = 'llm' THEN ${models}[mi] WHEN sk = 'embedding' THEN 'text-embedding-3-small' END AS price_key,
  session_id, user_id,
  CASE WHEN sk = 'agent' THEN ${list(AGENTS)}[1 + svc % 4] END AS agent_name,
  CASE WHEN sk = 'tool' THEN ${list(TOOLS)}[1 + ((hk >> 16) % 6)::INT] END AS tool_name,
  CASE WHEN sk = 'llm' THEN ['stop'] ELSE []::VARCHAR[] END AS finish_reasons,
  CASE WHEN sk = 'llm' THEN '[{"role":"user","content":"Help with order ' || t::VARCHAR || ' for ' || tenant || '"}]' END AS input_content,
  CASE WHEN sk = 'llm' THEN '[{"role":"assistant","content":"Order ' || t::VARCHAR || ' ships in ' || (hk % 9)::VARCHAR || ' days."}]' END AS output_content,
  json_object('user.tier', tier, 'tenant.id', tenant, 'gen_ai.operation.name', sk) AS attributes,
  json_object('service.name', CASE WHEN sk = 'retriever' THEN 'vector-db' ELSE ${list(BENCH_SERVICES)}[svc + 1] END) AS resource_attributes,
  '[]' AS events, '[]' AS links, false AS truncated
FROM shaped
ORDER BY t, k`;
}

/** Creates the database with the service's schema and fills it; returns the span count. */
export async function generateBenchData(opts: GenerateOptions): Promise<number> {
  const storage = await DuckDbStorage.open({ dataDir: opts.dataDir });
  const file = storage.file;
  const rowGroupRows = storage.rowGroupRows;
  await storage.close();
  // The row groups the service writes (small: see storage/duckdb.ts), so that zone maps prune
  // as they do on live data, not DuckDB's default of 122,880 rows.
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`ATTACH '${file.replace(/'/g, "''")}' AS bench (ROW_GROUP_SIZE ${rowGroupRows})`);
  await c.run('USE bench');
  try {
    const traces = Math.max(1, Math.round(opts.spans / AVG_SPANS_PER_TRACE));
    const rangeNs = BigInt(opts.days) * 86_400_000n * 1_000_000n;
    const fromNs = BigInt(opts.endMs) * 1_000_000n - rangeNs;
    const stepNs = rangeNs / BigInt(traces);
    await opts.beforeInsert?.(c);
    const chunk = 100_000;
    for (let t0 = 0; t0 < traces; t0 += chunk) {
      await c.run(chunkSql(t0, Math.min(traces, t0 + chunk), fromNs, stepNs));
      opts.onProgress?.(Number((await c.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjectsJS()[0]!.n));
    }
    await c.run('CHECKPOINT');
    return Number((await c.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjectsJS()[0]!.n);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
