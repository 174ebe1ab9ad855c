// The search language of traces searches and of metrics / costs filters: a tokenizer and a
// recursive-descent parser producing an AST. It lives in the query model so the editor
// validates as you type with exactly the parser the service runs. The service compiles the
// AST to parameterized SQL (ingest/src/storage/searchSql.ts); nothing here knows SQL.
//
// Grammar (keywords are upper case; adjacent terms are ANDed):
//   query    := [ or ] EOF
//   or       := and ( "OR" and )*
//   and      := unary ( [ "AND" ] unary )*
//   unary    := ( "NOT" | "-" ) unary | primary
//   primary  := "(" or ")" | term
//   term     := key sep value | key sep "(" value ( "OR" value )* ")" | value
//               (a bare value searches span names; a value list ORs the same key, which is
//               what multi-value template variables expand to: model:(a OR b))
//   key      := service | model | provider | operation | kind | agent | tool | user | session
//             | name | status | duration | cost | tokens | attr.<key> | <key with a dot>
//   sep      := ":" [ cmp ] | cmp                          cmp := ">" | ">=" | "<" | "<=" | "="
//   value    := word | "quoted string"                     (\" and \\ escape inside quotes)
// String values may use the wildcards * and ? (case-insensitive match then).

/** The LLM role of a span (the trace frame's `spanKind` values); `kind:` accepts these. */
export const SEARCH_SPAN_KINDS = [
  'llm',
  'embedding',
  'tool',
  'agent',
  'retriever',
  'chain',
  'reranker',
  'guardrail',
  'evaluator',
  'workflow',
  'task',
  'span',
] as const;
const LLM_SPAN_KINDS = SEARCH_SPAN_KINDS;

export type Cmp = '>' | '>=' | '<' | '<=' | '=';

/** Span-level string fields; a trace matches when any of its spans does. */
export const STRING_FIELDS = [
  'service',
  'model',
  'provider',
  'operation',
  'kind',
  'agent',
  'tool',
  'user',
  'session',
  'name',
] as const;
export type StringField = (typeof STRING_FIELDS)[number];
/** Trace-level fields (per span in metrics filters). */
export const TRACE_FIELDS = ['status', 'duration', 'cost', 'tokens'] as const;
export const FIELDS: readonly string[] = [...STRING_FIELDS, ...TRACE_FIELDS, 'attr.<key>'];

export type Term =
  /** `name` matches as a substring; the others as equality, or as a glob when the value has * or ?. */
  | { kind: 'match'; field: StringField; value: string }
  /** `=` compares text (globs allowed); the other comparisons are numeric. */
  | { kind: 'attr'; key: string; cmp: Cmp; value: string; number?: number }
  | { kind: 'status'; value: 'ok' | 'error' }
  | { kind: 'duration'; cmp: Cmp; ns: bigint }
  | { kind: 'cost'; cmp: Cmp; micros: bigint }
  | { kind: 'tokens'; cmp: Cmp; value: bigint };

export type SearchExpr =
  | { type: 'and'; items: SearchExpr[] }
  | { type: 'or'; items: SearchExpr[] }
  | { type: 'not'; item: SearchExpr }
  | { type: 'term'; term: Term; offset: number };

/** A syntax or value error; `offset` is the 0-based character position in the input. */
export class SearchError extends Error {
  readonly detail: string;
  constructor(
    detail: string,
    readonly offset: number,
    readonly expected: string[]
  ) {
    super(`search: ${detail} at offset ${offset}${expected.length ? ` (expected ${expected.join(', ')})` : ''}`);
    this.detail = detail;
    this.name = 'SearchError';
  }
}

type TokType = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus' | 'word' | 'string' | 'eof';
interface Token {
  type: TokType;
  /** Word text, or the unescaped content of a quoted string. */
  value: string;
  start: number;
  end: number;
}

const SPACE = /\s/;
const WORD_END = /[\s()"]/;

export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (SPACE.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      out.push({ type: ch === '(' ? 'lparen' : 'rparen', value: ch, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let text = '';
      while (j < input.length && input[j] !== '"') {
        if (input[j] === '\\' && j + 1 < input.length) {
          j++;
        }
        text += input[j];
        j++;
      }
      if (j >= input.length) {
        throw new SearchError('unterminated quoted string', i, ['closing "']);
      }
      out.push({ type: 'string', value: text, start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    // "-" right before a term negates it: -service:x, -"text", -(a OR b).
    if (ch === '-' && i + 1 < input.length && !SPACE.test(input[i + 1]!) && input[i + 1] !== ')') {
      out.push({ type: 'minus', value: '-', start: i, end: i + 1 });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !WORD_END.test(input[j]!)) {
      j++;
    }
    const word = input.slice(i, j);
    const type: TokType = word === 'AND' ? 'and' : word === 'OR' ? 'or' : word === 'NOT' ? 'not' : 'word';
    out.push({ type, value: word, start: i, end: j });
    i = j;
  }
  out.push({ type: 'eof', value: '', start: input.length, end: input.length });
  return out;
}

const TERM_START = ['term', '"("', 'NOT'];

// BigInt() rather than bigint literals: the browser bundle targets below ES2020.
const DURATION_NS: Record<string, bigint> = {
  ns: BigInt(1),
  us: BigInt(1_000),
  µs: BigInt(1_000),
  ms: BigInt(1_000_000),
  s: BigInt(1_000_000_000),
  m: BigInt(60_000_000_000),
  h: BigInt(3_600_000_000_000),
};

/** Exact decimal text -> integer of `scale` digits after the point (rounded half up), or null. */
function decimalToScaled(text: string, scale: number): bigint | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) {
    return null;
  }
  const frac = m[2] ?? '';
  const kept = (frac + '0'.repeat(scale)).slice(0, scale);
  let v = BigInt(m[1]! + kept);
  if (frac.length > scale && Number(frac[scale]) >= 5) {
    v += BigInt(1);
  }
  return v;
}

/** `2s`, `1.5m`, `500ms`, `250` (ms) -> nanoseconds, or null. */
export function parseDurationNs(text: string): bigint | null {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(text);
  if (!m) {
    return null;
  }
  const unit = DURATION_NS[m[2] ?? 'ms']!;
  // Scale by 9 digits, then by the unit: exact for any decimal a user types.
  const scaled = decimalToScaled(m[1]!, 9)!;
  return (scaled * unit) / BigInt(1_000_000_000);
}

/** `0.01`, `$1.5` (USD) -> micro-dollars, or null. */
export function parseUsdMicros(text: string): bigint | null {
  return decimalToScaled(text.startsWith('$') ? text.slice(1) : text, 6);
}

/** `1000`, `1.5k`, `2m` -> integer, or null. */
function parseCount(text: string): bigint | null {
  const m = /^(\d+(?:\.\d+)?)([kKmM])?$/.exec(text);
  if (!m) {
    return null;
  }
  const mult = m[2] === undefined ? 0 : m[2].toLowerCase() === 'k' ? 3 : 6;
  const v = decimalToScaled(m[1]!, mult);
  return v;
}

const CMP_RE = /^(>=|<=|>|<|=)/;
const INT64_MAX = BigInt('9223372036854775807');
const KEY_FIELDS: Record<string, StringField> = {
  service: 'service',
  model: 'model',
  provider: 'provider',
  operation: 'operation',
  kind: 'kind',
  spankind: 'kind',
  span_kind: 'kind',
  agent: 'agent',
  tool: 'tool',
  user: 'user',
  session: 'session',
  name: 'name',
};

/** Deeper nesting is refused: the recursive descent would otherwise run out of stack. */
export const MAX_SEARCH_DEPTH = 64;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  /** Runs one nested level (a parenthesis or a NOT), refusing more than MAX_SEARCH_DEPTH. */
  private nested<T>(at: Token, fn: () => T): T {
    if (++this.depth > MAX_SEARCH_DEPTH) {
      throw new SearchError(`nested more than ${MAX_SEARCH_DEPTH} levels deep`, at.start, []);
    }
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private peek(): Token {
    return this.toks[this.pos]!;
  }
  private next(): Token {
    return this.toks[this.pos++]!;
  }

  parseQuery(): SearchExpr | null {
    if (this.peek().type === 'eof') {
      return null;
    }
    const e = this.parseOr();
    const t = this.peek();
    if (t.type !== 'eof') {
      // Only ")" can stop a complete expression early.
      throw new SearchError(`unexpected "${t.value}"`, t.start, ['AND', 'OR', ...TERM_START, 'end of input']);
    }
    return e;
  }

  private parseOr(): SearchExpr {
    const items = [this.parseAnd()];
    while (this.peek().type === 'or') {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0]! : { type: 'or', items };
  }

  private parseAnd(): SearchExpr {
    const items = [this.parseUnary()];
    for (;;) {
      const t = this.peek();
      if (t.type === 'and') {
        this.next();
        items.push(this.parseUnary());
      } else if (
        t.type === 'lparen' ||
        t.type === 'not' ||
        t.type === 'minus' ||
        t.type === 'word' ||
        t.type === 'string'
      ) {
        items.push(this.parseUnary());
      } else {
        break;
      }
    }
    return items.length === 1 ? items[0]! : { type: 'and', items };
  }

  private parseUnary(): SearchExpr {
    const t = this.peek();
    if (t.type === 'not' || t.type === 'minus') {
      this.next();
      return this.nested(t, () => ({ type: 'not', item: this.parseUnary() }));
    }
    return this.parsePrimary();
  }

  private parsePrimary(): SearchExpr {
    const t = this.next();
    switch (t.type) {
      case 'lparen': {
        const e = this.nested(t, () => this.parseOr());
        const close = this.peek();
        if (close.type !== 'rparen') {
          throw new SearchError(close.type === 'eof' ? 'missing ")"' : `unexpected "${close.value}"`, close.start, [
            '")"',
            'AND',
            'OR',
            ...TERM_START,
          ]);
        }
        this.next();
        return e;
      }
      case 'string':
        return { type: 'term', term: { kind: 'match', field: 'name', value: t.value }, offset: t.start };
      case 'word':
        return this.parseTerm(t);
      case 'eof':
        throw new SearchError('unexpected end of input', t.start, TERM_START);
      default:
        throw new SearchError(`unexpected "${t.value}"`, t.start, TERM_START);
    }
  }

  private parseTerm(t: Token): SearchExpr {
    const text = t.value;
    const sepAt = text.search(/[:=<>]/);
    if (sepAt <= 0) {
      return { type: 'term', term: { kind: 'match', field: 'name', value: text }, offset: t.start };
    }
    const rawKey = text.slice(0, sepAt);
    let rest = text.slice(sepAt);
    let restOffset = t.start + sepAt;
    if (rest.startsWith(':')) {
      rest = rest.slice(1);
      restOffset++;
    }
    let cmp: Cmp | null = null;
    const cm = CMP_RE.exec(rest);
    if (cm) {
      cmp = cm[1] as Cmp;
      rest = rest.slice(cm[1]!.length);
      restOffset += cm[1]!.length;
    }
    let value = rest;
    let valueOffset = restOffset;
    if (value === '') {
      const n = this.peek();
      if (n.type === 'lparen' && n.start === t.end) {
        this.next();
        return this.parseValueList(rawKey, cmp, t.start);
      }
      if (n.type === 'string' && n.start === t.end) {
        this.next();
        value = n.value;
        valueOffset = n.start;
      } else {
        throw new SearchError(`"${rawKey}" needs a value`, t.end, ['value']);
      }
    }
    return { type: 'term', term: this.buildTerm(rawKey, cmp, value, t.start, valueOffset), offset: t.start };
  }

  /** `key:(a OR "b c")`: the same key and comparison for each value, ORed. */
  private parseValueList(rawKey: string, cmp: Cmp | null, keyOffset: number): SearchExpr {
    const items: SearchExpr[] = [];
    for (;;) {
      const v = this.next();
      if (v.type !== 'word' && v.type !== 'string') {
        throw new SearchError(v.type === 'eof' ? 'unexpected end of input' : `unexpected "${v.value}"`, v.start, [
          'value',
        ]);
      }
      items.push({ type: 'term', term: this.buildTerm(rawKey, cmp, v.value, keyOffset, v.start), offset: v.start });
      const sep = this.next();
      if (sep.type === 'rparen') {
        break;
      }
      if (sep.type !== 'or') {
        throw new SearchError(sep.type === 'eof' ? 'missing ")"' : `unexpected "${sep.value}"`, sep.start, [
          'OR',
          '")"',
        ]);
      }
    }
    return items.length === 1 ? items[0]! : { type: 'or', items };
  }

  private buildTerm(rawKey: string, cmp: Cmp | null, value: string, keyOffset: number, valueOffset: number): Term {
    const key = rawKey.toLowerCase();
    const eqOnly = (what: string) => {
      if (cmp !== null && cmp !== '=') {
        throw new SearchError(`${what} takes no comparison "${cmp}"`, valueOffset - cmp.length, ['":" value']);
      }
    };
    const ordered = (): Cmp => cmp ?? '>=';
    if (key === 'status') {
      eqOnly('status');
      const v = value.toLowerCase();
      if (v !== 'ok' && v !== 'error') {
        throw new SearchError(`status must be ok or error, not "${value}"`, valueOffset, ['ok', 'error']);
      }
      return { kind: 'status', value: v };
    }
    // Stored values are 64-bit: a bound beyond that is a typo, and no backend compares it right.
    const bounded = (v: bigint, what: string, max: string): bigint => {
      if (v > INT64_MAX) {
        throw new SearchError(`${what} "${value}" is too large`, valueOffset, [`at most ${max}`]);
      }
      return v;
    };
    if (key === 'duration') {
      const ns = parseDurationNs(value);
      if (ns === null) {
        throw new SearchError(`bad duration "${value}"`, valueOffset, ['a duration such as 2s, 500ms, 1.5m']);
      }
      return { kind: 'duration', cmp: ordered(), ns: bounded(ns, 'duration', '2562047h') };
    }
    if (key === 'cost') {
      const micros = parseUsdMicros(value);
      if (micros === null) {
        throw new SearchError(`bad cost "${value}"`, valueOffset, ['an amount in USD such as 0.01']);
      }
      return { kind: 'cost', cmp: ordered(), micros: bounded(micros, 'cost', '9223372036854 (USD)') };
    }
    if (key === 'tokens') {
      const n = parseCount(value);
      if (n === null) {
        throw new SearchError(`bad token count "${value}"`, valueOffset, ['a whole number such as 1000 or 1.5k']);
      }
      return { kind: 'tokens', cmp: ordered(), value: bounded(n, 'token count', '9223372036854775807') };
    }
    const field = KEY_FIELDS[key];
    if (field) {
      eqOnly(key);
      if (
        field === 'kind' &&
        !/[*?]/.test(value) &&
        !(LLM_SPAN_KINDS as readonly string[]).includes(value.toLowerCase())
      ) {
        throw new SearchError(`kind must be one of ${LLM_SPAN_KINDS.join(', ')}, not "${value}"`, valueOffset, [
          ...LLM_SPAN_KINDS,
        ]);
      }
      return { kind: 'match', field, value };
    }
    const attrKey = key.startsWith('attr.') ? rawKey.slice(5) : rawKey.includes('.') ? rawKey : null;
    if (attrKey === null || attrKey === '') {
      throw new SearchError(`unknown key "${rawKey}"`, keyOffset, FIELDS.slice());
    }
    const c: Cmp = cmp ?? '=';
    if (c !== '=') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new SearchError(`"${c}" needs a number, not "${value}"`, valueOffset, ['number']);
      }
      return { kind: 'attr', key: attrKey, cmp: c, value, number: n };
    }
    return { kind: 'attr', key: attrKey, cmp: c, value };
  }
}

/** Parses a search string; null for an empty (match-all) search. Throws SearchError. */
export function parseSearch(input: string): SearchExpr | null {
  return new Parser(tokenize(input)).parseQuery();
}

/** ANDs expressions, skipping nulls; null when none is left. */
export function andAll(items: Array<SearchExpr | null | undefined>): SearchExpr | null {
  const xs = items.filter((x): x is SearchExpr => x !== null && x !== undefined);
  if (xs.length === 0) {
    return null;
  }
  return xs.length === 1 ? xs[0]! : { type: 'and', items: xs.flatMap((x) => (x.type === 'and' ? x.items : [x])) };
}

/** A term node (offset -1: built by code, not parsed). */
export function termExpr(term: Term): SearchExpr {
  return { type: 'term', term, offset: -1 };
}

/** Every term of an expression, in order. */
export function termsOf(e: SearchExpr | null): Term[] {
  if (e === null) {
    return [];
  }
  switch (e.type) {
    case 'term':
      return [e.term];
    case 'not':
      return termsOf(e.item);
    default:
      return e.items.flatMap(termsOf);
  }
}

/** The expression as canonical text (for cursors and debugging). */
export function formatSearch(e: SearchExpr | null): string {
  if (e === null) {
    return '';
  }
  // Quoted the way the tokenizer reads back (only \" and \\ are escapes), so text round-trips.
  const q = (s: string) =>
    /^[^\s()":=<>]+$/.test(s) && !['AND', 'OR', 'NOT'].includes(s) && !s.startsWith('-')
      ? s
      : `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  switch (e.type) {
    case 'and':
      return `(${e.items.map(formatSearch).join(' AND ')})`;
    case 'or':
      return `(${e.items.map(formatSearch).join(' OR ')})`;
    case 'not':
      return `NOT ${formatSearch(e.item)}`;
    case 'term': {
      const t = e.term;
      switch (t.kind) {
        case 'match':
          return `${t.field}:${q(t.value)}`;
        case 'attr':
          return `attr.${t.key}${t.cmp === '=' ? '=' : `:${t.cmp}`}${q(t.value)}`;
        case 'status':
          return `status:${t.value}`;
        case 'duration':
          return `duration:${t.cmp}${t.ns}ns`;
        case 'cost':
          return `cost:${t.cmp}${t.micros / BigInt(1_000_000)}.${String(t.micros % BigInt(1_000_000)).padStart(6, '0')}`;
        case 'tokens':
          return `tokens:${t.cmp}${t.value}`;
      }
    }
  }
}

/** Where and why a search string is invalid; null when it parses. */
export interface SearchProblem {
  message: string;
  /** 0-based character offset of the problem. */
  offset: number;
  expected: string[];
}

// $var, ${var}, ${var:fmt}, [[var]]: Grafana's template variable syntaxes.
const TEMPLATE_VARIABLE = /\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]/g;

/**
 * Checks a search string for the editor. Template variables are only known at query time:
 * each is read as a neutral placeholder of the same length, and a problem that falls
 * inside a variable is not reported.
 */
export function validateSearch(input: string): SearchProblem | null {
  const spans: Array<[number, number]> = [];
  const neutral = input.replace(TEMPLATE_VARIABLE, (m, offset: number) => {
    spans.push([offset, offset + m.length]);
    return '0'.repeat(m.length);
  });
  try {
    parseSearch(neutral);
    return null;
  } catch (e) {
    if (!(e instanceof SearchError)) {
      throw e;
    }
    if (spans.some(([a, b]) => e.offset >= a && e.offset < b)) {
      return null;
    }
    return { message: e.detail, offset: e.offset, expected: e.expected };
  }
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT']);

/** A value as the search language reads it back verbatim: bare when safe, else quoted. */
export function quoteSearchValue(value: string): string {
  if (value !== '' && /^[^\s()"]+$/.test(value) && !KEYWORDS.has(value) && !/^[-<>=]/.test(value)) {
    return value;
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** One value, or `(a OR b)` for several: what a multi-value variable expands to after `key:`. */
export function searchValueList(values: readonly string[]): string {
  if (values.length === 0) {
    return '""';
  }
  if (values.length === 1) {
    return quoteSearchValue(values[0]!);
  }
  return `(${values.map(quoteSearchValue).join(' OR ')})`;
}

/** Keys a search term can start with (without `attr.`): the parser's fixed keys. */
export const SEARCH_KEYS: readonly string[] = [...STRING_FIELDS, ...TRACE_FIELDS];

/** Whether `key` can be written as a term key (attribute keys need no `:=<>` or spaces). */
export function isSearchKey(key: string): boolean {
  if (SEARCH_KEYS.includes(key.toLowerCase())) {
    return true;
  }
  const attr = key.toLowerCase().startsWith('attr.') ? key.slice(5) : key;
  return attr !== '' && /^[^\s()":=<>]+$/.test(attr);
}

/**
 * A term for a filter: `key:value`, `key:(a OR b)`, negated with `-`, or a numeric
 * comparison `key:>5`. Keys other than the fixed ones are attribute keys (`attr.` added).
 */
export function searchTerm(key: string, values: readonly string[], op: 'eq' | 'neq' | Cmp = 'eq'): string {
  const k = SEARCH_KEYS.includes(key.toLowerCase()) || key.toLowerCase().startsWith('attr.') ? key : `attr.${key}`;
  if (op === 'eq' || op === '=') {
    return `${k}:${searchValueList(values)}`;
  }
  if (op === 'neq') {
    return `-${k}:${searchValueList(values)}`;
  }
  return `${k}:${op}${quoteSearchValue(values[0] ?? '')}`;
}

/** ANDs search strings, each parenthesised when it has a top-level OR. Empty parts are skipped. */
export function joinSearch(parts: ReadonlyArray<string | undefined>): string {
  const xs = parts.map((p) => (p ?? '').trim()).filter((p) => p !== '');
  if (xs.length <= 1) {
    return xs[0] ?? '';
  }
  return xs.map((p) => (hasTopLevelOr(p) ? `(${p})` : p)).join(' ');
}

/** Whether `OR` appears outside parentheses and quotes (then ANDing needs parentheses). */
function hasTopLevelOr(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        quoted = false;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
    } else if (
      depth === 0 &&
      text.startsWith('OR', i) &&
      /\s/.test(text[i - 1] ?? ' ') &&
      /[\s(]/.test(text[i + 2] ?? ' ')
    ) {
      return true;
    }
  }
  return false;
}

/** The syntax help shown by the editors: one example per line. */
export const SEARCH_SYNTAX: ReadonlyArray<{ example: string; meaning: string }> = [
  { example: 'checkout failed', meaning: 'span names containing both words (free text)' },
  { example: '"payment declined"', meaning: 'span names containing the phrase' },
  { example: 'service:checkout model:gpt-4o*', meaning: 'exact values; * and ? are wildcards' },
  { example: 'model:(gpt-4o OR claude-*)', meaning: 'any of several values' },
  { example: 'status:error', meaning: 'traces with an error span (ok | error)' },
  { example: 'duration:>2s cost:>=0.01 tokens:>1.5k', meaning: 'trace totals: ms/s/m/h, USD, tokens' },
  { example: `kind:llm`, meaning: `span kind: ${SEARCH_SPAN_KINDS.join(', ')}` },
  { example: 'attr.user.tier=gold attr.llm.temperature>0.5', meaning: 'any span attribute, text or number' },
  { example: 'a OR b, NOT a, -a, (a OR b) c', meaning: 'boolean logic; adjacent terms are ANDed' },
];
