// OTLP AnyValue -> plain JSON, with the size limits that keep one bad span from bloating the
// store: long strings are cut and the span is flagged (attribute `pyflare.truncated`).
import type { OtlpAnyValue, OtlpKeyValue } from '../otlp/types.js';
import { bigToJson } from '../util/json.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Limits {
  /** Longest string value kept, in UTF-16 code units. */
  maxStringLength: number;
  /** Most attributes kept per span (and per event / link). */
  maxAttributes: number;
  /** Most items of one array / kvlist value. */
  maxArrayItems: number;
  /** Nesting depth of array / kvlist values. */
  maxDepth: number;
  /** String budget of one span across its attributes, events and links. */
  maxSpanChars: number;
  /** Most events and links kept per span. */
  maxEvents: number;
  maxLinks: number;
  /** Longest input/output content kept in the content columns. */
  maxContentLength: number;
  maxNameLength: number;
  maxKeyLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxStringLength: 32 * 1024,
  maxAttributes: 512,
  maxArrayItems: 1000,
  maxDepth: 8,
  maxSpanChars: 1024 * 1024,
  maxEvents: 128,
  maxLinks: 128,
  maxContentLength: 32 * 1024,
  maxNameLength: 1024,
  maxKeyLength: 256,
};

export const TRUNCATED_ATTR = 'pyflare.truncated';

/** Per-span accounting: remaining string budget and what had to be cut. Reused across spans (reset). */
export class Budget {
  remaining: number;
  truncated = false;
  /** Created on the first cut only: almost no span has one. */
  private keys: Set<string> | null = null;
  constructor(readonly limits: Limits) {
    this.remaining = limits.maxSpanChars;
  }
  reset(): void {
    this.remaining = this.limits.maxSpanChars;
    this.truncated = false;
    this.keys = null;
  }
  flag(key: string): void {
    this.truncated = true;
    this.keys ??= new Set();
    if (this.keys.size < 32) {
      this.keys.add(key);
    }
  }
  get truncatedKeys(): ReadonlySet<string> {
    return this.keys ?? EMPTY_SET;
  }
}
const EMPTY_SET: ReadonlySet<string> = new Set();

/** Well-formed UTF-16 (lone surrogates -> U+FFFD), so every string is valid UTF-8 in storage. */
export function cleanString(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Cuts `s` to `max` code units without splitting a surrogate pair. */
export function cut(s: string, max: number): string {
  if (s.length <= max) {
    return s;
  }
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) {
    end--;
  }
  return s.slice(0, end);
}

export function limitString(s: string, key: string, b: Budget): string {
  const clean = cleanString(s);
  // Every string may keep a little even when the span budget is spent, so values stay recognisable.
  const max = Math.min(b.limits.maxStringLength, Math.max(b.remaining, 256));
  if (clean.length > max) {
    b.flag(key);
    b.remaining = Math.max(0, b.remaining - max);
    return cut(clean, max);
  }
  b.remaining = Math.max(0, b.remaining - clean.length);
  return clean;
}

export function anyValueToJson(v: OtlpAnyValue, key: string, b: Budget, depth = 0): Json {
  switch (v.kind) {
    case 'string':
      return limitString(v.value, key, b);
    case 'bool':
      return v.value;
    case 'int':
      return bigToJson(v.value);
    case 'double':
      return Number.isFinite(v.value) ? v.value : String(v.value);
    case 'bytes':
      return limitString(Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64'), key, b);
    case 'empty':
      return null;
    case 'array': {
      if (depth >= b.limits.maxDepth) {
        b.flag(key);
        return '[nested too deep]';
      }
      const items = v.value.length > b.limits.maxArrayItems ? (b.flag(key), v.value.slice(0, b.limits.maxArrayItems)) : v.value;
      return items.map((x) => anyValueToJson(x, key, b, depth + 1));
    }
    case 'kvlist': {
      if (depth >= b.limits.maxDepth) {
        b.flag(key);
        return '[nested too deep]';
      }
      const out: { [k: string]: Json } = {};
      const items = v.value.length > b.limits.maxArrayItems ? (b.flag(key), v.value.slice(0, b.limits.maxArrayItems)) : v.value;
      for (const kv of items) {
        out[cut(cleanString(kv.key), b.limits.maxKeyLength)] = anyValueToJson(kv.value, key, b, depth + 1);
      }
      return out;
    }
  }
}

/** Flat attribute list -> object (last duplicate wins), limited in count and size. */
export function attributesToObject(kvs: readonly OtlpKeyValue[], b: Budget, scope = ''): Record<string, Json> {
  const out: Record<string, Json> = Object.create(null) as Record<string, Json>;
  let n = 0;
  for (const kv of kvs) {
    const key = cut(cleanString(kv.key), b.limits.maxKeyLength);
    if (key === '') {
      continue;
    }
    if (!(key in out)) {
      if (n >= b.limits.maxAttributes) {
        b.flag(scope ? `${scope}:(attribute count)` : '(attribute count)');
        continue;
      }
      n++;
    }
    out[key] = anyValueToJson(kv.value, scope ? `${scope}:${key}` : key, b);
  }
  return out;
}

/** Attribute value as text: strings unchanged, anything else as JSON. */
export function jsonToText(v: Json | undefined): string | null {
  if (v === undefined || v === null) {
    return null;
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}
