// The interim trace search language (a full parser comes later): whitespace-separated terms,
//   service:checkout  model:gpt-4o*  status:error  kind:llm  provider:openai  operation:chat
//   agent:X  tool:X  user:X  session:X  name:text  duration:>2s  duration:<500ms
//   <attribute.key>:value (any key with a dot, e.g. gen_ai.request.model:gpt-4o)
//   -service:x (exclude), "quoted values", and plain words (matched in span names).
import type { SpanTerm, TraceSearch } from '../storage/types.js';
import { LLM_SPAN_KINDS } from '../storage/types.js';

export interface ParsedSearch {
  terms: TraceSearch['terms'];
  status?: 'ok' | 'error';
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
}

export class SearchError extends Error {
  constructor(message: string) {
    super(`search: ${message}`);
    this.name = 'SearchError';
  }
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** `2s`, `1.5s`, `500ms`, `250` (ms) -> ns. */
export function parseDuration(text: string): bigint {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new SearchError(`bad duration "${text}" (e.g. 2s, 500ms, 1.5m)`);
  }
  const unit = UNIT_NS[m[2] ?? 'ms']!;
  const [whole, frac = ''] = m[1]!.split('.');
  const scale = 10n ** BigInt(frac.length);
  return (BigInt(whole! + frac) * unit) / scale;
}

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /(-?[^\s:"]+:"(?:[^"\\]|\\.)*")|("(?:[^"\\]|\\.)*")|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    out.push(m[0]);
  }
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return v;
}

const SIMPLE_FIELDS: Record<string, Exclude<SpanTerm['field'], 'model' | 'name' | 'attr'>> = {
  service: 'service',
  provider: 'provider',
  operation: 'operation',
  kind: 'spanKind',
  spankind: 'spanKind',
  agent: 'agent',
  tool: 'tool',
  user: 'user',
  session: 'session',
};

export function parseSearch(input: string): ParsedSearch {
  const out: ParsedSearch = { terms: [] };
  for (const raw of tokenize(input)) {
    const negate = raw.startsWith('-') && raw.length > 1;
    const tok = negate ? raw.slice(1) : raw;
    const colon = tok.startsWith('"') ? -1 : tok.indexOf(':');
    if (colon <= 0) {
      const text = unquote(tok);
      if (text !== '') {
        out.terms.push({ field: 'name', op: 'contains', value: text, negate });
      }
      continue;
    }
    const key = tok.slice(0, colon).toLowerCase();
    const value = unquote(tok.slice(colon + 1));
    if (value === '') {
      throw new SearchError(`"${key}:" needs a value`);
    }
    if (key === 'status') {
      if (value !== 'ok' && value !== 'error') {
        throw new SearchError(`status must be ok or error (got "${value}")`);
      }
      out.status = negate ? (value === 'ok' ? 'error' : 'ok') : value;
    } else if (key === 'duration') {
      const m = /^(>=|<=|>|<)?(.*)$/.exec(value)!;
      const op = m[1] ?? '>=';
      const ns = parseDuration(m[2]!);
      if (op === '>' || op === '>=') {
        out.minDurationNs = op === '>' ? ns + 1n : ns;
      } else {
        out.maxDurationNs = op === '<' ? (ns > 0n ? ns - 1n : 0n) : ns;
      }
    } else if (key === 'model') {
      out.terms.push({ field: 'model', op: 'glob', value, negate });
    } else if (key === 'name') {
      out.terms.push({ field: 'name', op: 'contains', value, negate });
    } else if (SIMPLE_FIELDS[key]) {
      const field = SIMPLE_FIELDS[key]!;
      if (field === 'spanKind' && !(LLM_SPAN_KINDS as readonly string[]).includes(value.toLowerCase())) {
        throw new SearchError(`kind must be one of ${LLM_SPAN_KINDS.join(', ')} (got "${value}")`);
      }
      out.terms.push({ field, op: 'eq', value, negate });
    } else if (key.startsWith('attr.') || tok.slice(0, colon).includes('.')) {
      const attrKey = key.startsWith('attr.') ? tok.slice(5, colon) : tok.slice(0, colon);
      out.terms.push({ field: 'attr', key: attrKey, op: 'eq', value, negate });
    } else {
      throw new SearchError(
        `unknown key "${key}" (use service, model, status, kind, provider, operation, agent, tool, user, session, name, duration or an attribute key)`
      );
    }
  }
  return out;
}
