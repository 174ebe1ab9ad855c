// The trace LIST frame (queryType "traces"): one row per trace, fields in the contract's order.
import { QUERY_MODEL_VERSION, type FrameJSON } from '../queryModel.js';
import type { TraceSummary } from '../storage/types.js';
import { buildFrame, nsToMs } from './frame.js';

export interface WaterfallEntry {
  spanID: string;
  parentSpanID: string;
  offsetMs: number;
  durationMs: number;
  spanKind: string;
  status: 'ok' | 'error';
}

export function waterfallOf(t: TraceSummary): WaterfallEntry[] {
  return t.waterfall.map((w) => ({
    spanID: w.spanId,
    parentSpanID: w.parentSpanId,
    offsetMs: nsToMs(w.startNs - t.startNs),
    durationMs: nsToMs(w.durationNs),
    spanKind: w.spanKind,
    status: w.statusCode === 2 ? 'error' : 'ok',
  }));
}

/** The Explore link on traceID; `datasourceUid` is filled when the caller knows it (the Go backend does). */
export function traceLink(datasourceUid: string | undefined): Record<string, unknown> {
  return {
    title: 'Open trace',
    url: '',
    internal: {
      datasourceUid: datasourceUid ?? '',
      datasourceName: 'PyFlare',
      query: { refId: 'A', queryType: 'trace', traceId: '${__value.raw}', pluginVersion: QUERY_MODEL_VERSION },
    },
  };
}

export function traceListFrame(traces: TraceSummary[], refId: string, opts: { datasourceUid?: string } = {}): FrameJSON {
  const col = <T>(f: (t: TraceSummary) => T): T[] => traces.map(f);
  return buildFrame({
    name: 'traces',
    refId,
    meta: { preferredVisualisationType: 'table', custom: { pyflareFrame: 'trace-list' } },
    fields: [
      { name: 'traceID', type: 'string', values: col((t) => t.traceId), config: { links: [traceLink(opts.datasourceUid)] } },
      { name: 'startTime', type: 'time', values: col((t) => Number(t.startNs / 1_000_000n)) },
      { name: 'rootName', type: 'string', values: col((t) => t.rootName) },
      { name: 'serviceName', type: 'string', values: col((t) => t.rootService) },
      { name: 'models', type: 'string', values: col((t) => t.models.join(',')) },
      { name: 'durationMs', type: 'number', values: col((t) => nsToMs(t.endNs - t.startNs)), config: { unit: 'ms' } },
      { name: 'status', type: 'string', values: col((t) => (t.errorCount > 0 ? 'error' : 'ok')) },
      { name: 'spanCount', type: 'number', values: col((t) => t.spanCount) },
      { name: 'errorCount', type: 'number', values: col((t) => t.errorCount) },
      { name: 'inputTokens', type: 'number', values: col((t) => t.inputTokens) },
      { name: 'outputTokens', type: 'number', values: col((t) => t.outputTokens) },
      { name: 'totalTokens', type: 'number', values: col((t) => t.inputTokens + t.outputTokens) },
      {
        name: 'costUsd',
        type: 'number',
        nullable: true,
        values: col((t) => (t.costMicros === null ? null : t.costMicros / 1e6)),
        config: { unit: 'currencyUSD', decimals: 6 },
      },
      { name: 'waterfall', type: 'other', values: col(waterfallOf) },
    ],
  });
}
