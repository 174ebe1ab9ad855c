import { attributeText } from './spanInfo';
import type { KeyValue, TraceSpan } from './traceTree';

/**
 * One term of a search within a trace. Terms are ANDed:
 * - free text matches span name, service, model, provider, span kind, span id, status
 *   message, event names, attribute keys and values, and the prompt and completion;
 * - `key=value` (or `key:value`) matches an attribute (or a span field: name, service,
 *   model, provider, kind, status) whose value contains `value`; `key=` matches presence;
 * - `duration>500ms` / `duration<2s` (also `dur`) compares the span's duration;
 * - `status=error` (or just `error`) finds failed spans.
 */
export type SearchTerm =
  | { type: 'text'; text: string }
  | { type: 'field'; key: string; value: string }
  | { type: 'duration'; op: '>' | '<' | '>=' | '<='; ms: number }
  | { type: 'error' };

const FIELD_KEYS: Record<string, (s: TraceSpan) => string> = {
  name: (s) => s.operationName,
  operation: (s) => s.operationName,
  service: (s) => s.serviceName,
  model: (s) => s.model,
  provider: (s) => s.provider,
  kind: (s) => s.spanKind,
  spankind: (s) => s.spanKind,
  span: (s) => s.spanID,
  status: (s) => (s.isError ? 'error' : s.statusCode === 1 ? 'ok' : 'unset'),
};

const UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000 };

function splitTerms(query: string): string[] {
  // Quotes keep spaces: name="chat gpt-4o".
  const out: string[] = [];
  const re = /(?:[^\s"]+|"[^"]*")+/g;
  for (const m of query.matchAll(re)) {
    out.push(m[0].replace(/"/g, ''));
  }
  return out.filter(Boolean);
}

export function parseSearch(query: string): SearchTerm[] {
  return splitTerms(query).map((raw): SearchTerm => {
    const dur = /^(?:duration|dur)(>=|<=|>|<)(\d+(?:\.\d+)?)(us|µs|ms|s|m)?$/i.exec(raw);
    if (dur) {
      const unit = UNITS[(dur[3] ?? 'ms').toLowerCase()] ?? 1;
      return { type: 'duration', op: dur[1] as '>' | '<' | '>=' | '<=', ms: Number(dur[2]) * unit };
    }
    if (/^(?:error|errors)$/i.test(raw)) {
      return { type: 'error' };
    }
    const kv = /^([^=:]+)[=:](.*)$/.exec(raw);
    if (kv && !/^https?$/i.test(kv[1]!)) {
      const key = kv[1]!.trim();
      const value = kv[2]!.trim().toLowerCase();
      if (key.toLowerCase() === 'status' && value === 'error') {
        return { type: 'error' };
      }
      return { type: 'field', key, value };
    }
    return { type: 'text', text: raw.toLowerCase() };
  });
}

function includes(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle);
}

function kvMatchesText(items: KeyValue[], text: string): boolean {
  return items.some((kv) => includes(kv.key, text) || includes(attributeText(kv.value), text));
}

function matchesTerm(span: TraceSpan, term: SearchTerm): boolean {
  switch (term.type) {
    case 'error':
      return span.isError;
    case 'duration':
      switch (term.op) {
        case '>':
          return span.durationMs > term.ms;
        case '>=':
          return span.durationMs >= term.ms;
        case '<':
          return span.durationMs < term.ms;
        case '<=':
          return span.durationMs <= term.ms;
      }
      return false;
    case 'field': {
      const field = FIELD_KEYS[term.key.toLowerCase()];
      if (field && includes(field(span), term.value)) {
        return true;
      }
      const key = term.key.toLowerCase();
      const kv = [...span.tags, ...span.serviceTags].filter((t) => t.key.toLowerCase() === key);
      return kv.some((t) => term.value === '' || includes(attributeText(t.value), term.value));
    }
    case 'text': {
      const t = term.text;
      return (
        includes(span.operationName, t) ||
        includes(span.serviceName, t) ||
        includes(span.model, t) ||
        includes(span.provider, t) ||
        includes(span.spanKind, t) ||
        includes(span.spanID, t) ||
        includes(span.statusMessage, t) ||
        span.logs.some((e) => includes(e.name, t) || kvMatchesText(e.fields, t)) ||
        kvMatchesText(span.tags, t) ||
        includes(span.input, t) ||
        includes(span.output, t)
      );
    }
  }
}

export function spanMatches(span: TraceSpan, terms: SearchTerm[]): boolean {
  return terms.every((term) => matchesTerm(span, term));
}

/** Ids of the spans matching a search, in the order given (the waterfall's row order). */
export function searchSpans(spans: TraceSpan[], query: string): string[] {
  const terms = parseSearch(query);
  if (terms.length === 0) {
    return [];
  }
  return spans.filter((s) => spanMatches(s, terms)).map((s) => s.spanID);
}
