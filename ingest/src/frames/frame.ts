// Grafana data-frame JSON with an explicit type on every field (what @grafana/data's
// dataFrameFromJSON and the Go SDK's data.Frame JSON read).
import type { FrameFieldType, FrameJSON } from '../queryModel.js';

export interface FieldSpec {
  name: string;
  type: FrameFieldType;
  values: unknown[];
  config?: Record<string, unknown>;
  /** The column may hold null. */
  nullable?: boolean;
  /** Series labels (time-series value fields). */
  labels?: Record<string, string>;
}

const GO_TYPES: Record<FrameFieldType, string> = {
  time: 'time.Time',
  number: 'float64',
  string: 'string',
  boolean: 'bool',
  other: 'json.RawMessage',
  enum: 'enum',
};

export function buildFrame(opts: {
  name: string;
  refId?: string;
  meta?: Record<string, unknown>;
  fields: FieldSpec[];
}): FrameJSON {
  const lengths = new Set(opts.fields.map((f) => f.values.length));
  if (lengths.size > 1) {
    throw new Error(`frame ${opts.name}: fields have different lengths`);
  }
  return {
    schema: {
      name: opts.name,
      ...(opts.refId !== undefined ? { refId: opts.refId } : {}),
      ...(opts.meta ? { meta: opts.meta } : {}),
      fields: opts.fields.map((f) => ({
        name: f.name,
        type: f.type,
        typeInfo: f.nullable ? { frame: GO_TYPES[f.type], nullable: true } : { frame: GO_TYPES[f.type] },
        ...(f.labels ? { labels: f.labels } : {}),
        ...(f.config ? { config: f.config } : {}),
      })),
    },
    data: { values: opts.fields.map((f) => f.values) },
  };
}

const EXACT = 2n ** 53n;

/** ns -> ms as a number: exact for durations; epoch times keep microseconds (a double holds ~16 digits). */
export function nsToMs(ns: bigint): number {
  if (ns < EXACT && ns > -EXACT) {
    return Number(ns) / 1e6;
  }
  return Number(ns / 1000n) / 1000;
}
