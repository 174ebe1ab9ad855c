// Drives the demo: sets up budgets and drift references over REST, backfills history, then
// (continuous mode) keeps sending traffic at the configured rate. Traces go over OTLP/HTTP
// JSON (POST /v1/traces), inference records to POST /api/v1/inferences.
//
// One timeline: it starts at `startedAt - backfill`; trace i occupies slot i of 1000 / rate ms,
// record j of each ML model slot j of 1000 / inferenceRate ms. Backfill sends every trace that
// ended before `startedAt`; continuous mode sends each later one once it has ended.
import type { BudgetInput } from '../queryModel.js';
import { buildRecord, ML_MODELS, recordTime, type InferenceOptions, type InferenceRecord } from './inference.js';
import { buildTrace, slotStart, toOtlp, type DemoTrace, type OtlpJsonRequest, type TrafficOptions } from './traffic.js';

const HOUR = 3_600_000;

export interface DemoOptions {
  /** OTLP/HTTP base URL, e.g. http://127.0.0.1:4318. */
  otlpUrl: string;
  /** REST base URL, e.g. http://127.0.0.1:8780. */
  apiUrl: string;
  apiKey?: string;
  seed: number;
  /** Traces per second. */
  rate: number;
  /** Inference records per second per ML model. */
  inferenceRate: number;
  /** History to send at once (ms); 0 = none. */
  backfillMs: number;
  /** Keep sending after the backfill until `signal` aborts. */
  continuous: boolean;
  /** When churn-predictor drifts; default: see defaultDriftAt. */
  driftAtMs?: number;
  /** Create budgets and drift references (needs the admin scope). */
  setup?: boolean;
  /** Clock (tests). */
  now?: () => number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** Called once the backfill is acknowledged. */
  onBackfilled?: (s: DemoStats) => void;
}

export interface DemoStats {
  traces: number;
  spans: number;
  errorTraces: number;
  inferences: number;
  traceIds: string[];
}

export interface DemoPlan {
  traffic: TrafficOptions;
  inference: InferenceOptions;
  startedAt: number;
  timelineStart: number;
  driftAtMs: number;
}

/** The top of the hour three hours before the start: drift buckets are whole hours. */
export function defaultDriftAt(startedAt: number): number {
  return Math.floor(startedAt / HOUR) * HOUR - 3 * HOUR;
}

export function demoPlan(
  o: Pick<DemoOptions, 'seed' | 'rate' | 'inferenceRate' | 'backfillMs' | 'driftAtMs'>,
  startedAt: number
): DemoPlan {
  const timelineStart = startedAt - o.backfillMs;
  const driftAtMs = o.driftAtMs ?? defaultDriftAt(startedAt);
  return {
    traffic: { seed: o.seed, startMs: timelineStart, rate: o.rate },
    inference: { seed: o.seed, startMs: timelineStart, rate: o.inferenceRate, driftAtMs },
    startedAt,
    timelineStart,
    driftAtMs,
  };
}

/** Budgets the demo creates (by name, once): sized for the default rate of 0.2 traces/s. */
export const DEMO_BUDGETS: readonly BudgetInput[] = [
  { name: 'LLM spend (daily)', scope: null, period: 'daily', amountUsd: 2000, alertThreshold: 0.8 },
  {
    name: 'Anthropic (monthly)',
    scope: { dimension: 'provider', value: 'anthropic' },
    period: 'monthly',
    amountUsd: 30000,
    alertThreshold: 0.8,
  },
  {
    name: 'research-agent (weekly)',
    scope: { dimension: 'service', value: 'research-agent' },
    period: 'weekly',
    amountUsd: 2500,
    alertThreshold: 0.9,
  },
];

/** A batch to send: OTLP traces or inference records. */
export type DemoBatch =
  { kind: 'traces'; traces: DemoTrace[]; body: OtlpJsonRequest } | { kind: 'inferences'; records: InferenceRecord[] };

const TRACE_BATCH = 200;
const RECORD_BATCH = 2000;

/**
 * Cursor over the timeline: `until(t)` yields every trace that ended and every record
 * stamped before t, not yet yielded, in batches. Deterministic for a plan.
 */
export class Timeline {
  private nextTrace = 0;
  private pending: DemoTrace[] = [];
  private nextRecord = 0;
  constructor(readonly plan: DemoPlan) {}

  *until(t: number): Generator<DemoBatch> {
    const ready: DemoTrace[] = [];
    const still: DemoTrace[] = [];
    for (const p of this.pending) {
      (p.endMs <= t ? ready : still).push(p);
    }
    this.pending = still;
    while (slotStart(this.plan.traffic, this.nextTrace) < t) {
      const tr = buildTrace(this.plan.traffic, this.nextTrace++);
      (tr.endMs <= t ? ready : this.pending).push(tr);
    }
    for (let i = 0; i < ready.length; i += TRACE_BATCH) {
      const traces = ready.slice(i, i + TRACE_BATCH);
      yield { kind: 'traces', traces, body: toOtlp(traces) };
    }
    let records: InferenceRecord[] = [];
    while (recordTime(this.plan.inference, this.nextRecord + 1) <= t) {
      for (const m of ML_MODELS) {
        records.push(buildRecord(this.plan.inference, m, this.nextRecord));
      }
      this.nextRecord++;
      if (records.length >= RECORD_BATCH) {
        yield { kind: 'inferences', records };
        records = [];
      }
    }
    if (records.length) {
      yield { kind: 'inferences', records };
    }
  }
}

class Client {
  constructor(
    private readonly o: DemoOptions,
    private readonly log: (m: string) => void
  ) {}

  private headers(json = true): Record<string, string> {
    return {
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}),
    };
  }

  /** POST with retries on 429/503 and connection errors (the service sheds load that way). */
  async post(url: string, body: unknown, method = 'POST'): Promise<unknown> {
    let wait = 250;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(url, {
          method,
          headers: this.headers(),
          body: JSON.stringify(body),
          signal: this.o.signal,
        });
        const text = await res.text();
        if (res.ok) {
          return text ? (JSON.parse(text) as unknown) : null;
        }
        if ((res.status !== 429 && res.status !== 503) || attempt >= 8) {
          throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`);
        }
      } catch (e) {
        if (this.o.signal?.aborted || attempt >= 8 || (e instanceof Error && / answered \d+/.test(e.message))) {
          throw e;
        }
        this.log(`retrying ${url}: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 5000);
    }
  }

  async get(url: string): Promise<unknown> {
    const res = await fetch(url, { headers: this.headers(false), signal: this.o.signal });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 500)}`);
    }
    return JSON.parse(text) as unknown;
  }
}

const trim = (u: string) => u.replace(/\/+$/, '');

async function setup(c: Client, o: DemoOptions, plan: DemoPlan, log: (m: string) => void): Promise<void> {
  const api = trim(o.apiUrl);
  const existing = (await c.get(`${api}/api/v1/costs/budgets`)) as { budgets: Array<{ name: string }> };
  const names = new Set(existing.budgets.map((b) => b.name));
  for (const b of DEMO_BUDGETS) {
    if (!names.has(b.name)) {
      await c.post(`${api}/api/v1/costs/budgets`, b);
    }
  }
  // Reference = the calm part of the timeline, so the shift is measured against it (and the
  // stable model is compared with the same window). Without history the rolling default stays.
  if (plan.driftAtMs - plan.timelineStart >= HOUR) {
    for (const modelId of ML_MODELS) {
      await c.post(`${api}/api/v1/drift/reference`, {
        modelId,
        type: 'fixed',
        from: plan.timelineStart,
        to: plan.driftAtMs,
      });
    }
    log(
      `drift reference of ${ML_MODELS.join(', ')}: ${new Date(plan.timelineStart).toISOString()} .. ${new Date(plan.driftAtMs).toISOString()}`
    );
  }
}

/** Runs the demo; resolves after the backfill (or, in continuous mode, once `signal` aborts). */
export async function runDemo(o: DemoOptions): Promise<DemoStats> {
  const log = o.log ?? (() => undefined);
  const now = o.now ?? Date.now;
  const plan = demoPlan(o, now());
  const c = new Client(o, log);
  const stats: DemoStats = { traces: 0, spans: 0, errorTraces: 0, inferences: 0, traceIds: [] };
  log(`churn-predictor drifts at ${new Date(plan.driftAtMs).toISOString()}`);
  if (o.setup !== false) {
    await setup(c, o, plan, log);
  }
  const timeline = new Timeline(plan);
  const send = async (t: number) => {
    for (const batch of timeline.until(t)) {
      if (batch.kind === 'traces') {
        await c.post(`${trim(o.otlpUrl)}/v1/traces`, batch.body);
        stats.traces += batch.traces.length;
        stats.spans += batch.traces.reduce((n, tr) => n + tr.spans.length, 0);
        stats.errorTraces += batch.traces.filter((tr) => tr.error).length;
        stats.traceIds.push(...batch.traces.map((tr) => tr.traceId));
      } else {
        await c.post(`${trim(o.apiUrl)}/api/v1/inferences`, batch.records);
        stats.inferences += batch.records.length;
      }
    }
  };
  await send(plan.startedAt);
  log(
    `backfilled ${stats.traces} traces (${stats.spans} spans, ${stats.errorTraces} with errors) and ${stats.inferences} inference records`
  );
  o.onBackfilled?.({ ...stats, traceIds: [...stats.traceIds] });
  if (!o.continuous) {
    return stats;
  }
  const tick = Math.min(1000, Math.max(100, 1000 / o.rate));
  let reported = now();
  while (!o.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, tick);
      o.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (o.signal?.aborted) {
      break;
    }
    try {
      await send(now());
    } catch (e) {
      if (o.signal?.aborted) {
        break;
      }
      // Keep going: the service may be restarting; the failed batch is dropped.
      log(`send failed: ${(e as Error).message}`);
    }
    if (now() - reported >= 60_000) {
      reported = now();
      log(`sent ${stats.traces} traces, ${stats.inferences} inference records so far`);
    }
  }
  return stats;
}
