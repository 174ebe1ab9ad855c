// Head sampling at ingest, whole traces at a time. A trace is kept when the hash of its id falls
// under the rate (the same decision on every replica and on WAL replay: no state, no clock), or
// when any of its spans in the request matches an always-keep rule (error, slow, expensive,
// listed service or model); then every span of that trace in the request is kept.
//
// Sampled-out spans still count: they feed the per-minute/per-hour rollups (request, error,
// token and cost sums: rates and costs stay exact) and the Prometheus counters, but not the raw
// span table or the per-trace rollup, so trace search, trace views and percentiles see only kept
// traces.
import type { SpanRow } from '../storage/types.js';

export interface SamplingSettings {
  /** Fraction of traces kept, 0..1; 1 = sampling off. */
  rate: number;
  keepErrors: boolean;
  /** Spans at least this long keep their trace; 0 = off. */
  keepSlowMs: number;
  /** Spans costing at least this (USD) keep their trace; 0 = off. */
  keepCostUsd: number;
  keepServices: string[];
  keepModels: string[];
}

export const SAMPLING_OFF: SamplingSettings = { rate: 1, keepErrors: true, keepSlowMs: 0, keepCostUsd: 0, keepServices: [], keepModels: [] };

/** FNV-1a over the trace id, as a fraction in [0, 1). Ids are lower-case hex after normalization. */
export function traceFraction(traceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32): FNV's low bits alone are poorly mixed for short inputs.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Where a request's rows go once its traces are decided. */
export interface SampledSink {
  keep(row: Readonly<SpanRow>): void;
  /** Counted (rollups, metrics) but not stored. */
  drop(row: Readonly<SpanRow>): void;
}

export class Sampler {
  private readonly services: ReadonlySet<string>;
  private readonly models: ReadonlySet<string>;
  private readonly slowNs: bigint;
  private readonly costMicros: number;

  constructor(readonly settings: SamplingSettings) {
    this.services = new Set(settings.keepServices);
    this.models = new Set(settings.keepModels);
    this.slowNs = BigInt(Math.round(settings.keepSlowMs * 1e6));
    this.costMicros = Math.round(settings.keepCostUsd * 1e6);
  }

  get active(): boolean {
    return this.settings.rate < 1;
  }

  keepByHash(traceId: string): boolean {
    return traceFraction(traceId) < this.settings.rate;
  }

  /** Does this span force its trace to be kept? */
  forces(r: Readonly<SpanRow>): boolean {
    const s = this.settings;
    return (
      (s.keepErrors && r.statusCode === 2) ||
      (this.slowNs > 0n && r.durationNs >= this.slowNs) ||
      (this.costMicros > 0 && r.costMicros !== null && r.costMicros >= this.costMicros) ||
      this.services.has(r.service) ||
      (this.models.size > 0 && ((r.requestModel !== null && this.models.has(r.requestModel)) || (r.responseModel !== null && this.models.has(r.responseModel))))
    );
  }

  /** Decides the traces of one request's rows and hands each row to keep() or drop(). */
  route(rows: readonly SpanRow[], out: SampledSink): { kept: number; dropped: number } {
    const keepTrace = new Map<string, boolean>();
    for (const r of rows) {
      const k = keepTrace.get(r.traceId);
      if (k === undefined) {
        keepTrace.set(r.traceId, this.keepByHash(r.traceId) || this.forces(r));
      } else if (!k && this.forces(r)) {
        keepTrace.set(r.traceId, true);
      }
    }
    let kept = 0;
    for (const r of rows) {
      if (keepTrace.get(r.traceId)) {
        out.keep(r);
        kept++;
      } else {
        out.drop(r);
      }
    }
    return { kept, dropped: rows.length - kept };
  }
}
