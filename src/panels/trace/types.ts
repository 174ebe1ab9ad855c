import type { PanelModel } from '@grafana/data';
import { z } from 'zod';

export interface TracePanelOptions {
  showServiceColumn: boolean;
  showDurationColumn: boolean;
  showStatusColumn: boolean;
  showModelColumn: boolean;
  showTokensColumn: boolean;
  showCostColumn: boolean;
  showSpansColumn: boolean;
  /** The mini waterfall in each row. */
  showWaterfallColumn: boolean;
  /** Rows shown at most; the rest is summarised in the footer. */
  maxTraces: number;
  /** Traces at least this slow are highlighted. */
  slowThresholdMs: number;
  /** Traces costing at least this much are highlighted. */
  expensiveThresholdUsd: number;
  /** Waterfall bars colored by LLM span kind (llm, tool, agent…) or by service. */
  colorBy: 'spanKind' | 'service';
  /** Highlight the critical path in the waterfall when a trace opens. */
  showCriticalPath: boolean;
}

export const defaultTraceOptions: TracePanelOptions = {
  showServiceColumn: true,
  showDurationColumn: true,
  showStatusColumn: true,
  showModelColumn: true,
  showTokensColumn: true,
  showCostColumn: true,
  showSpansColumn: true,
  showWaterfallColumn: true,
  maxTraces: 100,
  slowThresholdMs: 5000,
  expensiveThresholdUsd: 0.1,
  colorBy: 'spanKind',
  showCriticalPath: true,
};

export const MAX_TRACES_LIMIT = 10_000;

// Booleans saved as strings by hand-written dashboard JSON are read as such.
const bool = (fallback: boolean) =>
  z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).catch(fallback);
const num = (fallback: number, min: number, max: number) =>
  z
    .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(min).max(max))
    .catch(fallback);

const optionsSchema = z.object({
  showServiceColumn: bool(defaultTraceOptions.showServiceColumn),
  showDurationColumn: bool(defaultTraceOptions.showDurationColumn),
  showStatusColumn: bool(defaultTraceOptions.showStatusColumn),
  showModelColumn: bool(defaultTraceOptions.showModelColumn),
  showTokensColumn: bool(defaultTraceOptions.showTokensColumn),
  showCostColumn: bool(defaultTraceOptions.showCostColumn),
  showSpansColumn: bool(defaultTraceOptions.showSpansColumn),
  showWaterfallColumn: bool(defaultTraceOptions.showWaterfallColumn),
  maxTraces: num(defaultTraceOptions.maxTraces, 1, MAX_TRACES_LIMIT).transform(Math.floor),
  slowThresholdMs: num(defaultTraceOptions.slowThresholdMs, 0, Number.MAX_SAFE_INTEGER),
  expensiveThresholdUsd: num(defaultTraceOptions.expensiveThresholdUsd, 0, Number.MAX_SAFE_INTEGER),
  colorBy: z.enum(['spanKind', 'service']).catch(defaultTraceOptions.colorBy),
  showCriticalPath: bool(defaultTraceOptions.showCriticalPath),
});

/**
 * Options of any earlier version (PyFlare's original panel had only the service,
 * duration and status columns and maxTraces) to the current shape: unknown keys are
 * dropped, bad values fall back to defaults, numbers saved as strings are read.
 */
export function migrateTraceOptions(panel: PanelModel<Partial<TracePanelOptions>>): TracePanelOptions {
  const raw: Record<string, unknown> = { ...(panel.options ?? {}) };
  // PyFlare's original panel called the slow threshold `slowThreshold` (ms).
  if (raw.slowThresholdMs === undefined && raw.slowThreshold !== undefined) {
    raw.slowThresholdMs = raw.slowThreshold;
  }
  return optionsSchema.parse(raw);
}
