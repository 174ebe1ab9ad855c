// Random but reproducible SpanRows for storage tests (written with applyBatch, no OTLP), and
// brute-force reference computations over them.
import { Rand } from '../demo/random.js';
import { EMPTY_ROW } from '../normalize/index.js';
import type { SpanRow } from '../storage/types.js';

/** Seeded uniform numbers in [0, 1) (mulberry32, the demo generator's). */
export function rng(seed: number): () => number {
  const r = new Rand(seed);
  return () => r.next();
}

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

export const TEST_SERVICES = ['checkout', 'search', 'agent'];
export const TEST_MODELS: Array<[string | null, string | null, string | null]> = [
  // [provider, request model, response model]
  ['openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
  ['openai', 'gpt-4o-mini', null],
  ['anthropic', 'claude-sonnet-4', 'claude-sonnet-4-20250514'],
  [null, null, 'mystery-model'],
];
export const TEST_KINDS = ['llm', 'llm', 'embedding', 'tool', 'agent', 'span', 'retriever'] as const;

function base(traceId: string, spanId: string, parent: string, startNs: bigint, durNs: bigint): SpanRow {
  return {
    ...EMPTY_ROW,
    traceId,
    spanId,
    parentSpanId: parent,
    name: 'span',
    kind: 'internal',
    service: 'svc',
    startNs,
    endNs: startNs + durNs,
    durationNs: durNs,
    finishReasons: [],
  };
}

/**
 * `traces` traces of 1-8 spans starting uniformly in [fromMs, fromMs + spanMs), with random
 * kinds, models, services, users, tiers, errors, tokens (some null), costs (some unknown) and
 * durations with ties and sub-millisecond parts.
 */
export function randomTraces(seed: number, traces: number, fromMs: number, spanMs: number): SpanRow[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: SpanRow[] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = hex(r, 32);
    const t0 = BigInt(fromMs) * 1_000_000n + BigInt(Math.floor(r() * spanMs * 1000)) * 1000n;
    const n = 1 + Math.floor(r() * 8);
    const service = pick(TEST_SERVICES);
    const user = r() < 0.8 ? `u${Math.floor(r() * 5)}` : null;
    const rootId = hex(r, 16);
    for (let k = 0; k < n; k++) {
      const spanId = k === 0 ? rootId : hex(r, 16);
      const start = t0 + BigInt(k) * 1_000_000n * BigInt(Math.floor(r() * 50));
      // Durations: round values (ties) or random with a sub-ms part.
      const dur = r() < 0.3 ? BigInt(pick([100, 250, 1000])) * 1_000_000n : BigInt(Math.floor(r() * 3_000_000_000));
      const s = base(traceId, spanId, k === 0 ? '' : rootId, start, dur);
      s.service = k > 0 && r() < 0.2 ? pick(TEST_SERVICES) : service;
      s.name = k === 0 ? `POST /${service}` : `step ${k}`;
      s.spanKind = k === 0 ? 'span' : pick(TEST_KINDS);
      s.statusCode = r() < 0.1 ? 2 : 0;
      s.userId = user;
      s.sessionId = user ? `s${t % 7}` : null;
      s.attributes = JSON.stringify({ 'user.tier': pick(['gold', 'free', 'silver']), 'n.score': Math.floor(r() * 10) });
      if (s.spanKind === 'tool') {
        s.toolName = pick(['search', 'calc']);
        s.operation = 'execute_tool';
      }
      if (s.spanKind === 'agent') {
        s.agentName = pick(['planner', 'critic']);
      }
      if (s.spanKind === 'llm' || s.spanKind === 'embedding') {
        const [provider, req, resp] = pick(TEST_MODELS);
        s.provider = provider;
        s.requestModel = req;
        s.responseModel = resp;
        s.operation = s.spanKind === 'llm' ? 'chat' : 'embeddings';
        s.inputTokens = r() < 0.9 ? Math.floor(r() * 5000) : null;
        s.outputTokens = s.spanKind === 'llm' && r() < 0.9 ? Math.floor(r() * 800) : null;
        s.cacheReadTokens = r() < 0.3 ? Math.floor(r() * 1000) : null;
        if (r() < 0.15) {
          s.costSource = 'unknown';
        } else {
          s.costSource = 'computed';
          s.costMicros = Math.floor(r() * 20_000);
        }
      }
      out.push(s);
    }
  }
  return out;
}

/** DuckDB quantile_cont: linear interpolation between the order statistics at (n-1)q. */
export function quantileCont(values: number[], q: number): number | null {
  if (values.length === 0) {
    return null;
  }
  const x = [...values].sort((a, b) => a - b);
  const pos = (x.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return x[lo]! + (x[hi]! - x[lo]!) * (pos - lo);
}
