// LLM semantics of a span from the attribute families in use today: OpenTelemetry GenAI
// (current and deprecated names), OpenInference (Arize Phoenix), OpenLLMetry (Traceloop) and
// OpenLIT. Each field takes the first family that has it, GenAI first.
import { jsonToText, type Json } from './attributes.js';
import type { LlmSpanKind } from '../storage/types.js';

export type Attrs = Record<string, Json>;

// ---- attribute slots ----------------------------------------------------------------------
// Extraction reads a fixed set of attribute keys. Normalization looks each attribute key up
// once (see index.ts) and drops the values of these keys into numbered slots, so extraction
// never needs an object of all attributes.

/** Every attribute key extraction reads, by slot number. */
export const LLM_KEYS: string[] = [];
function slot(key: string): number {
  let i = LLM_KEYS.indexOf(key);
  if (i < 0) {
    i = LLM_KEYS.length;
    LLM_KEYS.push(key);
  }
  return i;
}
const slots = (...keys: string[]): number[] => keys.map(slot);

/** Prefixes of flattened message keys (`prefix.N.field`), matched against all attribute keys. */
export const INDEXED_PREFIXES = ['gen_ai.prompt.', 'gen_ai.completion.', 'llm.input_messages.', 'llm.output_messages.'];

/** The attributes of one span as extraction sees them. */
export interface AttrView {
  /** Value per slot of LLM_KEYS; undefined when the span lacks the key. */
  readonly slots: Array<Json | undefined>;
  /** Keys (and values) starting with one of INDEXED_PREFIXES, in attribute order. */
  readonly indexedKeys: string[];
  readonly indexedValues: Json[];
}

/** A view over a plain attribute object (the general path; the fast path fills one directly). */
export function viewOfAttrs(a: Attrs): AttrView {
  const view: AttrView = { slots: new Array<Json | undefined>(LLM_KEYS.length).fill(undefined), indexedKeys: [], indexedValues: [] };
  for (const [k, v] of Object.entries(a)) {
    const i = KEY_SLOTS.get(k);
    if (i !== undefined) {
      view.slots[i] = v;
    }
    if (isIndexedKey(k)) {
      view.indexedKeys.push(k);
      view.indexedValues.push(v);
    }
  }
  return view;
}

export function isIndexedKey(k: string): boolean {
  return (
    (k.charCodeAt(0) === 0x67 /* g */ && (k.startsWith(INDEXED_PREFIXES[0]!) || k.startsWith(INDEXED_PREFIXES[1]!))) ||
    (k.charCodeAt(0) === 0x6c /* l */ && (k.startsWith(INDEXED_PREFIXES[2]!) || k.startsWith(INDEXED_PREFIXES[3]!)))
  );
}

export interface SpanEventLite {
  name: string;
  attributes: Attrs;
}

export interface LlmFields {
  spanKind: LlmSpanKind;
  provider: string | null;
  operation: string | null;
  requestModel: string | null;
  responseModel: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  /** A cost the instrumentation computed (USD), converted to integer micro-dollars. */
  providedCostMicros: number | null;
  sessionId: string | null;
  userId: string | null;
  agentName: string | null;
  toolName: string | null;
  finishReasons: string[];
  input: string | null;
  output: string | null;
  /** The attribute whose string value `input` is, verbatim (null: assembled from several, or none). */
  inputKey: string | null;
  outputKey: string | null;
}

function firstString(a: ReadonlyArray<Json | undefined>, keys: readonly number[]): string | null {
  for (let i = 0; i < keys.length; i++) {
    const v = a[keys[i]!];
    if (typeof v === 'string' && v.trim() !== '') {
      return v.trim();
    }
    if (typeof v === 'number' && Number.isFinite(v)) {
      return String(v);
    }
  }
  return null;
}

/**
 * Most tokens one call may report (10^9, a thousand times the largest context window). A larger count is
 * not usage but garbage, and left unbounded it overflows the 64-bit token and cost columns
 * (and their sums), failing the whole write it is part of.
 */
export const MAX_TOKEN_COUNT = 1e9;
/** Most USD one call may report as its cost; the same reasoning as MAX_TOKEN_COUNT. */
export const MAX_CALL_USD = 1e6;

/** Non-negative integer from a number or a numeric string (some SDKs send counts as strings). */
function toCount(v: Json | undefined): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.0*)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= MAX_TOKEN_COUNT ? Math.round(n) : null;
}

function firstCount(a: ReadonlyArray<Json | undefined>, keys: readonly number[]): number | null {
  for (let i = 0; i < keys.length; i++) {
    const n = toCount(a[keys[i]!]);
    if (n !== null) {
      return n;
    }
  }
  return null;
}

function toUsd(v: Json | undefined): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= MAX_CALL_USD ? n : null;
}

/** USD -> integer micro-dollars, rounding half up on the decimal digits (not on the binary double). */
export function usdToMicros(usd: number): number {
  const [whole = '0', frac = ''] = usd.toFixed(7).split('.');
  const tenthsOfMicros = BigInt(whole + frac.padEnd(7, '0'));
  return Number((tenthsOfMicros + 5n) / 10n);
}

// Provider spellings seen in the wild -> the GenAI semantic-convention names.
const PROVIDER_ALIASES: Record<string, string> = {
  openai: 'openai',
  'azure openai': 'azure.ai.openai',
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  'az.ai.openai': 'azure.ai.openai',
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
  aws: 'aws.bedrock',
  'aws bedrock': 'aws.bedrock',
  vertexai: 'gcp.vertex_ai',
  vertex_ai: 'gcp.vertex_ai',
  'vertex ai': 'gcp.vertex_ai',
  google: 'gcp.gemini',
  gemini: 'gcp.gemini',
  mistralai: 'mistral_ai',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  'x.ai': 'x_ai',
  cohere: 'cohere',
  groq: 'groq',
  deepseek: 'deepseek',
  ollama: 'ollama',
};

export function normalizeProvider(p: string | null): string | null {
  if (p === null) {
    return null;
  }
  const k = p.trim().toLowerCase();
  return PROVIDER_ALIASES[k] ?? k.replace(/\s+/g, '_');
}

const OPENINFERENCE_KINDS: Record<string, LlmSpanKind> = {
  LLM: 'llm',
  EMBEDDING: 'embedding',
  CHAIN: 'chain',
  RETRIEVER: 'retriever',
  RERANKER: 'reranker',
  TOOL: 'tool',
  AGENT: 'agent',
  GUARDRAIL: 'guardrail',
  EVALUATOR: 'evaluator',
  PROMPT: 'chain',
};
const TRACELOOP_KINDS: Record<string, LlmSpanKind> = {
  workflow: 'workflow',
  task: 'task',
  agent: 'agent',
  tool: 'tool',
  llm: 'llm',
};
const OPERATION_KINDS: Record<string, LlmSpanKind> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  completion: 'llm',
  embeddings: 'embedding',
  retrieval: 'retriever',
  execute_tool: 'tool',
  create_agent: 'agent',
  invoke_agent: 'agent',
  invoke_workflow: 'workflow',
};
// OpenLLMetry's llm.request.type -> GenAI operation names.
const REQUEST_TYPE_OPS: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
  rerank: 'rerank',
};
const KIND_OPS: Partial<Record<LlmSpanKind, string>> = {
  embedding: 'embeddings',
  tool: 'execute_tool',
  agent: 'invoke_agent',
  retriever: 'retrieval',
};

/** `prefix.N.suffix` flattened messages (OpenLLMetry, OpenInference) -> JSON array text. */
function indexedMessages(view: AttrView, re: RegExp): string | null {
  if (view.indexedKeys.length === 0) {
    return null;
  }
  const byIndex = new Map<number, Record<string, Json>>();
  for (let j = 0; j < view.indexedKeys.length; j++) {
    const m = re.exec(view.indexedKeys[j]!);
    if (m) {
      const i = Number(m[1]);
      const msg = byIndex.get(i) ?? {};
      msg[m[2]!] = view.indexedValues[j]!;
      byIndex.set(i, msg);
    }
  }
  if (byIndex.size === 0) {
    return null;
  }
  return JSON.stringify([...byIndex.entries()].sort((x, y) => x[0] - y[0]).map(([, m]) => m));
}

const NO_MESSAGES: { input: string | null; output: string | null } = { input: null, output: null };
const INPUT_EVENTS = new Set(['gen_ai.system.message', 'gen_ai.user.message', 'gen_ai.assistant.message', 'gen_ai.tool.message']);

function eventMessages(events: readonly SpanEventLite[]): { input: string | null; output: string | null } {
  const inputs: Json[] = [];
  const outputs: Json[] = [];
  for (const e of events) {
    if (INPUT_EVENTS.has(e.name)) {
      inputs.push({ role: e.name.slice('gen_ai.'.length, -'.message'.length), ...e.attributes });
    } else if (e.name === 'gen_ai.choice') {
      outputs.push(e.attributes);
    } else if (e.name === 'gen_ai.content.prompt') {
      const v = e.attributes['gen_ai.prompt'];
      if (v !== undefined) {
        inputs.push(v);
      }
    } else if (e.name === 'gen_ai.content.completion') {
      const v = e.attributes['gen_ai.completion'];
      if (v !== undefined) {
        outputs.push(v);
      }
    }
  }
  const text = (xs: Json[]) => (xs.length === 0 ? null : xs.length === 1 ? jsonToText(xs[0]) : JSON.stringify(xs));
  return { input: text(inputs), output: text(outputs) };
}

function finishReasons(view: AttrView, events: readonly SpanEventLite[]): string[] {
  const a = view.slots;
  const out: string[] = [];
  const add = (v: Json | undefined) => {
    if (typeof v === 'string' && v !== '') {
      out.push(v);
    } else if (Array.isArray(v)) {
      v.forEach(add);
    }
  };
  add(a[S_FINISH_REASONS]);
  add(a[S_FINISH_REASON]);
  if (out.length === 0) {
    for (let j = 0; j < view.indexedKeys.length; j++) {
      if (/^gen_ai\.completion\.\d+\.finish_reason$/.test(view.indexedKeys[j]!)) {
        add(view.indexedValues[j]);
      }
    }
    for (const e of events) {
      if (e.name === 'gen_ai.choice') {
        add(e.attributes.finish_reason);
      }
    }
  }
  if (out.length === 0) {
    return NO_REASONS;
  }
  return out.length === 1 ? out : [...new Set(out)].slice(0, 16);
}
// Shared by spans without finish reasons; rows are never mutated after normalization.
const NO_REASONS: string[] = [];

// Slot numbers, in the priority order each field takes its first present key.
const S_OI_KIND = slot('openinference.span.kind');
const S_TL_KIND = slot('traceloop.span.kind');
const S_OPERATION = slot('gen_ai.operation.name');
const S_REQUEST_TYPE = slot('llm.request.type');
const REQUEST_MODEL = slots('gen_ai.request.model', 'llm.request.model', 'llm.model_name', 'embedding.model_name');
const RESPONSE_MODEL = slots('gen_ai.response.model', 'llm.response.model');
const INPUT_TOKENS = slots('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.usage.prompt_tokens', 'llm.token_count.prompt');
const OUTPUT_TOKENS = slots(
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'llm.usage.completion_tokens',
  'llm.token_count.completion'
);
const CACHE_READ_TOKENS = slots(
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'llm.token_count.prompt_details.cache_read',
  'gen_ai.usage.input_tokens_details.cached_tokens'
);
const CACHE_WRITE_TOKENS = slots(
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.cache_creation_input_tokens',
  'llm.token_count.prompt_details.cache_write'
);
const REASONING_TOKENS = slots(
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.usage.reasoning_tokens',
  'llm.token_count.completion_details.reasoning',
  'gen_ai.usage.output_tokens_details.reasoning_tokens'
);
const S_COST_TOTAL = slot('llm.cost.total');
const S_COST_GENAI = slot('gen_ai.usage.cost');
const S_COST_PROMPT = slot('llm.cost.prompt');
const S_COST_COMPLETION = slot('llm.cost.completion');
const TRACELOOP_ENTITY = slots('traceloop.entity.name');
const S_INPUT_MESSAGES = slot('gen_ai.input.messages');
const S_PROMPT = slot('gen_ai.prompt');
const S_INPUT_VALUE = slot('input.value');
const S_ENTITY_INPUT = slot('traceloop.entity.input');
const S_TOOL_ARGS = slot('gen_ai.tool.call.arguments');
const S_OUTPUT_MESSAGES = slot('gen_ai.output.messages');
const S_COMPLETION = slot('gen_ai.completion');
const S_OUTPUT_VALUE = slot('output.value');
const S_ENTITY_OUTPUT = slot('traceloop.entity.output');
const S_TOOL_RESULT = slot('gen_ai.tool.call.result');
/** The slots of the single-attribute sources of input and output content. */
const INPUT_SOURCES = [S_INPUT_MESSAGES, S_PROMPT, S_INPUT_VALUE, S_ENTITY_INPUT, S_TOOL_ARGS];
const OUTPUT_SOURCES = [S_OUTPUT_MESSAGES, S_COMPLETION, S_OUTPUT_VALUE, S_ENTITY_OUTPUT, S_TOOL_RESULT];

/** The attribute whose string value is `text` exactly (see LlmFields.inputKey). */
function verbatimSource(a: ReadonlyArray<Json | undefined>, sources: readonly number[], text: string | null): string | null {
  if (text === null) {
    return null;
  }
  for (const i of sources) {
    if (a[i] === text) {
      return LLM_KEYS[i]!;
    }
  }
  return null;
}

const PROVIDER = slots('gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system');
const SESSION = slots('gen_ai.conversation.id', 'session.id', 'traceloop.association.properties.session_id', 'gen_ai.session.id');
const USER = slots('user.id', 'enduser.id', 'gen_ai.user.id', 'traceloop.association.properties.user_id');
const AGENT = slots('gen_ai.agent.name', 'agent.name');
const TOOL = slots('gen_ai.tool.name', 'tool.name');
const S_FINISH_REASONS = slot('gen_ai.response.finish_reasons');
const S_FINISH_REASON = slot('llm.response.finish_reason');
const OI_KIND = [S_OI_KIND];
const TL_KIND = [S_TL_KIND];
const OPERATION = [S_OPERATION];
const REQUEST_TYPE = [S_REQUEST_TYPE];

/** Attribute key -> slot number. */
export const KEY_SLOTS: ReadonlyMap<string, number> = new Map(LLM_KEYS.map((k, i) => [k, i]));

const INPUT_PROMPT_RE = /^gen_ai\.prompt\.(\d+)\.(role|content)$/;
const INPUT_OI_RE = /^llm\.input_messages\.(\d+)\.message\.(role|content)$/;
const OUTPUT_COMPLETION_RE = /^gen_ai\.completion\.(\d+)\.(role|content)$/;
const OUTPUT_OI_RE = /^llm\.output_messages\.(\d+)\.message\.(role|content)$/;

/** The LLM fields of a span whose attributes are a plain object. */
export function extractLlm(a: Attrs, events: readonly SpanEventLite[]): LlmFields {
  return extractLlmView(viewOfAttrs(a), events);
}

export function extractLlmView(view: AttrView, events: readonly SpanEventLite[]): LlmFields {
  const a = view.slots;
  const oiKind = firstString(a, OI_KIND);
  const tlKind = firstString(a, TL_KIND);
  const opAttr = firstString(a, OPERATION);
  const requestType = firstString(a, REQUEST_TYPE);

  const requestModel = firstString(a, REQUEST_MODEL);
  const responseModel = firstString(a, RESPONSE_MODEL);

  let inputTokens = firstCount(a, INPUT_TOKENS);
  let outputTokens = firstCount(a, OUTPUT_TOKENS);
  const cacheReadTokens = firstCount(a, CACHE_READ_TOKENS);
  const cacheWriteTokens = firstCount(a, CACHE_WRITE_TOKENS);
  const reasoningTokens = firstCount(a, REASONING_TOKENS);
  // GenAI semantics: input includes the cached parts and output includes reasoning. Some
  // instrumentations pass Anthropic's raw usage (input excludes cache); a sum larger than the
  // total can only mean that, so add the parts back.
  const cacheParts = (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  if (cacheParts > 0 && (inputTokens === null || cacheParts > inputTokens)) {
    inputTokens = (inputTokens ?? 0) + cacheParts;
  }
  if (reasoningTokens !== null && reasoningTokens > 0 && (outputTokens === null || reasoningTokens > outputTokens)) {
    outputTokens = (outputTokens ?? 0) + reasoningTokens;
  }

  const hasUsage = inputTokens !== null || outputTokens !== null;
  let spanKind: LlmSpanKind = 'span';
  if (oiKind && OPENINFERENCE_KINDS[oiKind.toUpperCase()]) {
    spanKind = OPENINFERENCE_KINDS[oiKind.toUpperCase()]!;
  } else if (tlKind && TRACELOOP_KINDS[tlKind.toLowerCase()]) {
    spanKind = TRACELOOP_KINDS[tlKind.toLowerCase()]!;
  } else if (opAttr && OPERATION_KINDS[opAttr]) {
    spanKind = OPERATION_KINDS[opAttr]!;
  } else if (requestType) {
    spanKind = requestType === 'embedding' ? 'embedding' : requestType === 'rerank' ? 'reranker' : 'llm';
  } else if (requestModel || responseModel || hasUsage) {
    spanKind = 'llm';
  }

  let operation = opAttr ?? (requestType ? (REQUEST_TYPE_OPS[requestType] ?? requestType) : null);
  if (operation === null) {
    operation = spanKind === 'llm' && (requestModel || hasUsage) ? 'chat' : (KIND_OPS[spanKind] ?? null);
  }

  let providedUsd = toUsd(a[S_COST_TOTAL]) ?? toUsd(a[S_COST_GENAI]);
  if (providedUsd === null) {
    const p = toUsd(a[S_COST_PROMPT]);
    const c = toUsd(a[S_COST_COMPLETION]);
    if (p !== null || c !== null) {
      providedUsd = (p ?? 0) + (c ?? 0);
    }
  }

  const traceloopEntity = firstString(a, TRACELOOP_ENTITY);
  const ev = events.length === 0 ? NO_MESSAGES : eventMessages(events);
  const input =
    jsonToText(a[S_INPUT_MESSAGES]) ??
    jsonToText(a[S_PROMPT]) ??
    indexedMessages(view, INPUT_PROMPT_RE) ??
    indexedMessages(view, INPUT_OI_RE) ??
    jsonToText(a[S_INPUT_VALUE]) ??
    jsonToText(a[S_ENTITY_INPUT]) ??
    jsonToText(a[S_TOOL_ARGS]) ??
    ev.input;
  const output =
    jsonToText(a[S_OUTPUT_MESSAGES]) ??
    jsonToText(a[S_COMPLETION]) ??
    indexedMessages(view, OUTPUT_COMPLETION_RE) ??
    indexedMessages(view, OUTPUT_OI_RE) ??
    jsonToText(a[S_OUTPUT_VALUE]) ??
    jsonToText(a[S_ENTITY_OUTPUT]) ??
    jsonToText(a[S_TOOL_RESULT]) ??
    ev.output;

  return {
    spanKind,
    provider: normalizeProvider(firstString(a, PROVIDER)),
    operation,
    requestModel,
    responseModel,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens,
    providedCostMicros: providedUsd === null ? null : usdToMicros(providedUsd),
    sessionId: firstString(a, SESSION),
    userId: firstString(a, USER),
    agentName: firstString(a, AGENT) ?? (spanKind === 'agent' ? traceloopEntity : null),
    toolName: firstString(a, TOOL) ?? (spanKind === 'tool' ? traceloopEntity : null),
    finishReasons: finishReasons(view, events),
    input,
    output,
    inputKey: verbatimSource(a, INPUT_SOURCES, input),
    outputKey: verbatimSource(a, OUTPUT_SOURCES, output),
  };
}
