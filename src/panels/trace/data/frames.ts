import type { DataFrame, Field } from '@grafana/data';

/** Kind of PyFlare frame, from meta.custom.pyflareFrame (set by the service). */
export function pyflareFrameKind(frame: DataFrame): string | undefined {
  const custom = frame.meta?.custom;
  const kind = custom && typeof custom === 'object' ? (custom as Record<string, unknown>).pyflareFrame : undefined;
  return typeof kind === 'string' ? kind : undefined;
}

export function fieldByName(frame: DataFrame, name: string): Field | undefined {
  return frame.fields.find((f) => f.name === name);
}

export function hasFields(frame: DataFrame, names: string[]): boolean {
  return names.every((n) => frame.fields.some((f) => f.name === n));
}

/** Cell readers that never throw: frames come from the network. */
export function asString(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v === null || v === undefined) {
    return '';
  }
  return String(v);
}

export function asNumber(v: unknown): number {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : 0;
  }
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** Epoch milliseconds from a time cell: numbers as they are, ISO strings and Dates parsed. */
export function asTimeMs(v: unknown): number {
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : 0;
  }
  if (v instanceof Date) {
    return v.getTime();
  }
  if (typeof v === 'string') {
    const n = Date.parse(v);
    return Number.isFinite(n) ? n : asNumber(v);
  }
  return 0;
}

/** A JSON cell of an `other` field: already decoded by Grafana, or still a JSON string. */
export function asJson(v: unknown): unknown {
  if (typeof v === 'string') {
    if (v.trim() === '') {
      return undefined;
    }
    try {
      return JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return v;
}
