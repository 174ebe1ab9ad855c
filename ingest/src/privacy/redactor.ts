// PII redaction of normalized spans, applied inside normalization (SpanStream) before a row
// reaches the storage batch, so nothing unredacted is queued, stored or rolled up.
//
// Per attribute: a rule by key (exact or `*` glob) wins: keep | mask | hash | drop. Otherwise
// every string value (nested ones too) is scanned by the detectors and matches are replaced
// per detector mode. `hash` is an HMAC-SHA256 with the configured key: the same input gives the
// same token on every replica and every day, so grouping and joins by a hashed id still work,
// while the raw value cannot be recovered without the key.
//
// Speed (it runs on every span): one native regex test per string (BUILTIN_TRIGGER: a digit, @,
// : or a secret prefix) rules out every built-in detector for most values; the rest are counted
// once (TextFeatures) and only detectors whose gates pass run their regex. JSON texts are parsed
// (V8's parser is faster than any scan written in JS) and walked; numbers and booleans are never
// scanned, and a text in which nothing changed is returned as it was (no re-serialization).
import crypto from 'node:crypto';
import { z } from 'zod';
import type { SpanRow } from '../storage/types.js';
import { BUILTIN_CHARS, BUILTIN_DETECTORS, BUILTIN_TRIGGER, DETECTOR_NAMES, TextFeatures, type Detector } from './detectors.js';

export const REDACTION_MODES = ['mask', 'hash', 'drop'] as const;
export type RedactionMode = (typeof REDACTION_MODES)[number];
export type AttributeRule = RedactionMode | 'keep';

const modeSchema = z.enum(REDACTION_MODES);

/** The policy file (YAML or JSON); every field is optional. */
export const policySchema = z
  .object({
    /** Default mode of the built-in detectors. */
    mode: modeSchema.optional(),
    /** Per detector: a mode, or `off`. */
    patterns: z.partialRecord(z.enum(DETECTOR_NAMES), z.union([modeSchema, z.literal('off')])).optional(),
    /** Per attribute key (exact, or with `*` globs): keep | mask | hash | drop. */
    attributes: z.record(z.string().min(1).max(256), z.union([modeSchema, z.literal('keep')])).optional(),
    /** User patterns, applied before the built-in ones. */
    custom: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -'),
            regex: z.string().min(1).max(2000),
            flags: z.string().regex(/^[imsu]*$/, 'only i, m, s, u flags').optional(),
            mode: modeSchema.optional(),
          })
          .strict()
      )
      .max(100)
      .optional(),
    /** Drop prompt/completion content entirely (content columns, content attributes and events). */
    dropContent: z.boolean().optional(),
  })
  .strict();
export type RedactionPolicy = z.output<typeof policySchema>;

/** Headers that carry credentials: dropped whenever redaction is on, unless the policy says otherwise. */
export const DEFAULT_ATTRIBUTE_RULES: Readonly<Record<string, AttributeRule>> = {
  'http.request.header.authorization': 'drop',
  'http.request.header.cookie': 'drop',
  'http.request.header.x-api-key': 'drop',
  'http.request.header.proxy-authorization': 'drop',
  'http.response.header.set-cookie': 'drop',
  'rpc.grpc.request.metadata.authorization': 'drop',
};

/** Attributes holding prompt/completion content (see normalize/llm.ts). */
const CONTENT_KEYS = new Set([
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'input.value',
  'output.value',
  'traceloop.entity.input',
  'traceloop.entity.output',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'llm.prompts',
]);
const CONTENT_PREFIXES = ['gen_ai.prompt.', 'gen_ai.completion.', 'llm.input_messages.', 'llm.output_messages.', 'llm.prompts.'];
const CONTENT_EVENTS = new Set([
  'gen_ai.system.message',
  'gen_ai.user.message',
  'gen_ai.assistant.message',
  'gen_ai.tool.message',
  'gen_ai.choice',
  'gen_ai.content.prompt',
  'gen_ai.content.completion',
]);
const USER_KEYS = ['user.id', 'enduser.id', 'gen_ai.user.id', 'traceloop.association.properties.user_id'];
const SESSION_KEYS = ['session.id', 'gen_ai.conversation.id', 'gen_ai.session.id', 'traceloop.association.properties.session_id'];

export function isContentKey(key: string): boolean {
  return CONTENT_KEYS.has(key) || CONTENT_PREFIXES.some((p) => key.startsWith(p));
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

interface ActiveDetector extends Detector {
  mode: RedactionMode;
}

export interface RedactorOptions {
  policy: RedactionPolicy;
  /** HMAC key for `hash` (at least 16 bytes). */
  key: Buffer | string;
}

/** Strings at least this long are remembered (content appears as a column and as an attribute). */
const MEMO_MIN_CHARS = 64;
const MEMO_SLOTS = 4;
/** Below this length counting the characters in JS is cheaper than a native regex call. */
const SHORT_CHARS = 48;

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc}$`);
}

/** Throws with the pattern's name when a custom regex does not compile (or matches ''). */
function compileCustom(c: NonNullable<RedactionPolicy['custom']>[number], mode: RedactionMode): ActiveDetector {
  let re: RegExp;
  try {
    re = new RegExp(c.regex, `g${c.flags ?? ''}`);
  } catch (e) {
    throw new Error(`custom pattern "${c.name}": ${(e as Error).message}`);
  }
  if (re.test('')) {
    throw new Error(`custom pattern "${c.name}": matches the empty string`);
  }
  return { name: c.name, re, mode: c.mode ?? mode };
}

export class Redactor {
  private readonly key: Buffer;
  private readonly detectors: ActiveDetector[];
  private readonly exact = new Map<string, AttributeRule>();
  private readonly globs: Array<{ re: RegExp; prefix: string; rule: AttributeRule }> = [];
  private readonly ruleCache = new Map<string, AttributeRule | null>();
  readonly dropContent: boolean;
  private readonly userRule: AttributeRule | null;
  private readonly sessionRule: AttributeRule | null;
  private lastResourceIn = '';
  private lastResourceOut = '';
  private readonly f = new TextFeatures();
  private readonly memoIn: string[] = new Array<string>(MEMO_SLOTS).fill('');
  private readonly memoOut: string[] = new Array<string>(MEMO_SLOTS).fill('');
  private memoNext = 0;

  constructor(opts: RedactorOptions) {
    this.key = Buffer.isBuffer(opts.key) ? opts.key : Buffer.from(opts.key, 'utf8');
    if (this.key.length < 16) {
      throw new Error('redaction key must be at least 16 bytes');
    }
    const p = opts.policy;
    const mode = p.mode ?? 'mask';
    this.dropContent = p.dropContent ?? false;
    this.detectors = (p.custom ?? []).map((c) => compileCustom(c, mode));
    for (const name of DETECTOR_NAMES) {
      const m = p.patterns?.[name] ?? mode;
      if (m !== 'off') {
        const d = BUILTIN_DETECTORS[name];
        this.detectors.push({ ...d, re: new RegExp(d.re.source, d.re.flags), mode: m });
      }
    }
    for (const [k, rule] of Object.entries({ ...DEFAULT_ATTRIBUTE_RULES, ...(p.attributes ?? {}) })) {
      if (k.includes('*')) {
        this.globs.push({ re: globToRegExp(k), prefix: k.slice(0, k.indexOf('*')), rule });
      } else {
        this.exact.set(k, rule);
      }
    }
    this.userRule = this.firstRule(USER_KEYS);
    this.sessionRule = this.firstRule(SESSION_KEYS);
  }

  private firstRule(keys: string[]): AttributeRule | null {
    for (const k of keys) {
      const r = this.ruleFor(k);
      if (r !== null) {
        return r;
      }
    }
    return null;
  }

  /** The keyed hash of a whole value: `hmac:` + 32 hex (128 bits of HMAC-SHA256). */
  hashValue(v: string): string {
    return `hmac:${crypto.createHmac('sha256', this.key).update(v, 'utf8').digest('hex').slice(0, 32)}`;
  }

  /** What a user id / session id is stored as (so a deletion request can find hashed ids). */
  storedUserId(v: string): string | null {
    return this.applyIdRule(v, this.userRule);
  }

  storedSessionId(v: string): string | null {
    return this.applyIdRule(v, this.sessionRule);
  }

  ruleFor(key: string): AttributeRule | null {
    const hit = this.ruleCache.get(key);
    if (hit !== undefined) {
      return hit;
    }
    let rule: AttributeRule | null = this.exact.get(key) ?? null;
    if (rule === null) {
      for (const g of this.globs) {
        if (g.re.test(key)) {
          rule = g.rule;
          break;
        }
      }
    }
    if (this.ruleCache.size > 10_000) {
      this.ruleCache.clear();
    }
    this.ruleCache.set(key, rule);
    return rule;
  }

  private token(name: string, mode: RedactionMode, match: string): string {
    if (mode === 'drop') {
      return '';
    }
    if (mode === 'hash') {
      return `[${name}:${crypto.createHmac('sha256', this.key).update(match, 'utf8').digest('hex').slice(0, 16)}]`;
    }
    return `[REDACTED:${name}]`;
  }

  /** Free text with every detected item replaced; the same string when nothing matched. */
  redactText(s: string): string {
    if (s.length < 6) {
      return s;
    }
    if (s.length >= MEMO_MIN_CHARS) {
      // Long texts recur within a span: content is a column and an attribute (and an event).
      for (let i = 0; i < MEMO_SLOTS; i++) {
        if (this.memoIn[i] === s) {
          return this.memoOut[i]!;
        }
      }
      const out = this.scanText(s);
      this.memoIn[this.memoNext] = s;
      this.memoOut[this.memoNext] = out;
      this.memoNext = (this.memoNext + 1) % MEMO_SLOTS;
      return out;
    }
    return this.scanText(s);
  }

  private scanText(s: string): string {
    // Built-in detectors only where the trigger is found, and then only those whose gate passes.
    const builtin = s.length < SHORT_CHARS || (BUILTIN_CHARS.test(s) && BUILTIN_TRIGGER.test(s));
    const f = this.f;
    if (builtin) {
      f.reset();
      f.add(s);
    }
    let hits: Array<{ start: number; end: number; d: ActiveDetector }> | null = null;
    for (const d of this.detectors) {
      if ((d.gate || d.hint) && (!builtin || (d.gate && !d.gate(f)) || (d.hint && !d.hint.test(s)))) {
        continue;
      }
      const re = d.re;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null) {
        const text = m[0];
        if (text.length === 0) {
          re.lastIndex++;
          continue;
        }
        if (d.valid && !d.valid(text)) {
          continue;
        }
        const start = m.index;
        const end = start + text.length;
        if (hits !== null && hits.some((h) => start < h.end && end > h.start)) {
          continue;
        }
        (hits ??= []).push({ start, end, d });
      }
    }
    if (hits === null) {
      return s;
    }
    hits.sort((a, b) => a.start - b.start);
    let out = '';
    let at = 0;
    for (const h of hits) {
      out += s.slice(at, h.start) + this.token(h.d.name, h.d.mode, s.slice(h.start, h.end));
      at = h.end;
    }
    return out + s.slice(at);
  }

  /** The value with its strings redacted; the same object when nothing changed (copy on write). */
  private redactJson(v: Json): Json {
    if (typeof v === 'string') {
      return this.redactText(v);
    }
    if (Array.isArray(v)) {
      let out: Json[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        const r = typeof x === 'string' || (x !== null && typeof x === 'object') ? this.redactJson(x) : x;
        if (r !== x) {
          (out ??= v.slice())[i] = r;
        }
      }
      return out ?? v;
    }
    if (v !== null && typeof v === 'object') {
      let out: { [key: string]: Json } | null = null;
      for (const k in v) {
        const x = v[k]!;
        const r = typeof x === 'string' || (x !== null && typeof x === 'object') ? this.redactJson(x) : x;
        if (r !== x) {
          (out ??= { ...v })[k] = r;
        }
      }
      return out ?? v;
    }
    return v;
  }

  private applyRule(v: Json, rule: AttributeRule): Json | undefined {
    switch (rule) {
      case 'keep':
        return v;
      case 'drop':
        return undefined;
      case 'mask':
        return '[REDACTED]';
      case 'hash':
        return this.hashValue(typeof v === 'string' ? v : JSON.stringify(v));
    }
  }

  private applyIdRule(v: string, rule: AttributeRule | null): string | null {
    if (rule === null) {
      return this.redactText(v);
    }
    const r = this.applyRule(v, rule);
    return r === undefined ? null : String(r);
  }

  /** An attribute object with rules, content dropping and detectors applied. */
  redactAttributes(attrs: { [key: string]: Json }): { [key: string]: Json } {
    return this.redactAttrs(attrs) ?? attrs;
  }

  /** redactAttributes, but null when nothing changed. */
  private redactAttrs(attrs: { [key: string]: Json }): { [key: string]: Json } | null {
    const out: { [key: string]: Json } = {};
    let changed = false;
    for (const k in attrs) {
      const v = attrs[k]!;
      const rule = this.ruleFor(k);
      let r: Json | undefined;
      if (rule !== null) {
        r = this.applyRule(v, rule);
      } else if (this.dropContent && isContentKey(k)) {
        r = undefined;
      } else {
        // Numbers, booleans and null are never scanned.
        r = typeof v === 'string' || (v !== null && typeof v === 'object') ? this.redactJson(v) : v;
      }
      if (r !== v) {
        changed = true;
      }
      if (r !== undefined) {
        out[k] = r;
      }
    }
    return changed ? out : null;
  }

  /** The attribute JSON text redacted; the same text when nothing changed. */
  redactAttributesText(text: string): string {
    if (text === '{}') {
      return text;
    }
    const out = this.redactAttrs(JSON.parse(text) as { [key: string]: Json });
    return out === null ? text : JSON.stringify(out);
  }

  private redactListText(text: string, isEvents: boolean): string {
    if (text === '[]') {
      return text;
    }
    const list = JSON.parse(text) as Array<{ [key: string]: Json }>;
    let changed = false;
    for (const item of list) {
      const attrs = item.attributes;
      if (isEvents && this.dropContent && typeof item.name === 'string' && CONTENT_EVENTS.has(item.name)) {
        if (attrs !== null && typeof attrs === 'object' && Object.keys(attrs).length > 0) {
          item.attributes = {};
          changed = true;
        }
      } else if (attrs !== null && typeof attrs === 'object' && !Array.isArray(attrs)) {
        const r = this.redactAttrs(attrs);
        if (r !== null) {
          item.attributes = r;
          changed = true;
        }
      }
      if (isEvents && typeof item.name === 'string') {
        const n = this.redactText(item.name);
        if (n !== item.name) {
          item.name = n;
          changed = true;
        }
      }
    }
    return changed ? JSON.stringify(list) : text;
  }

  /** Content columns hold JSON message arrays or plain text; JSON is redacted value by value. */
  private redactContent(s: string | null): string | null {
    if (s === null || this.dropContent) {
      return null;
    }
    const c = s.charCodeAt(0);
    if (c === 91 /* [ */ || c === 123 /* { */) {
      let parsed: Json | undefined;
      try {
        parsed = JSON.parse(s) as Json;
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined) {
        const r = this.redactJson(parsed);
        return r === parsed ? s : JSON.stringify(r);
      }
    }
    return this.redactText(s);
  }

  /** Redacts one normalized row in place (the normalizer's reused row). */
  redactRow(row: SpanRow): void {
    row.name = this.redactText(row.name);
    row.statusMessage = this.redactText(row.statusMessage);
    row.attributes = this.redactAttributesText(row.attributes);
    if (row.resourceAttributes !== this.lastResourceIn) {
      // Every span of a resource shares its attribute text: redact it once.
      this.lastResourceIn = row.resourceAttributes;
      this.lastResourceOut = this.redactAttributesText(row.resourceAttributes);
    }
    row.resourceAttributes = this.lastResourceOut;
    row.events = this.redactListText(row.events, true);
    row.links = this.redactListText(row.links, false);
    if (row.userId !== null) {
      row.userId = this.applyIdRule(row.userId, this.userRule);
    }
    if (row.sessionId !== null) {
      row.sessionId = this.applyIdRule(row.sessionId, this.sessionRule);
    }
    if (row.agentName !== null) {
      row.agentName = this.redactText(row.agentName);
    }
    if (row.toolName !== null) {
      row.toolName = this.redactText(row.toolName);
    }
    row.inputContent = this.redactContent(row.inputContent);
    row.outputContent = this.redactContent(row.outputContent);
    // Content and attributes are redacted apart: the content column keeps its own text.
    row.inputContentKey = null;
    row.outputContentKey = null;
  }
}
