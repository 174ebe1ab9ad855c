// LLM semantics of a span from the attribute families in use today: OpenTelemetry GenAI
// (current and deprecated names), OpenInference (Arize Phoenix), OpenLLMetry (Traceloop) and
// OpenLIT. Each field takes the first family that has it, GenAI first.
import type { Json } from './attributes.js';
import { jsonToText } from './attributes.js';
import type { LlmSpanKind } from '../storage/types.js';

export type Attrs = Record<string, Json>;

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
}

function firstString(a: Attrs, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = a[k];
    if (typeof v === 'string' && v.trim() !== '') {
      return v.trim();
    }
    if (typeof v === 'number' && Number.isFinite(v)) {
      return String(v);
    }
  }
  return null;
}

/** Non-negative integer from a number or a numeric string (some SDKs send counts as strings). */
function toCount(v: Json | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    return Math.round(v);
  }
  if (typeof v === 'string' && /^\s*\d+(\.0*)?\s*$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(Math.round(n)) ? Math.round(n) : null;
  }
  return null;
}

function firstCount(a: Attrs, keys: readonly string[]): number | null {
  for (const k of keys) {
    const n = toCount(a[k]);
    if (n !== null) {
      return n;
    }
  }
  return null;
}

function toUsd(v: Json | undefined): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 && n < 1e9 ? n : null;
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
function indexedMessages(a: Attrs, re: RegExp): string | null {
  const byIndex = new Map<number, Record<string, Json>>();
  for (const [k, v] of Object.entries(a)) {
    const m = re.exec(k);
    if (m) {
      const i = Number(m[1]);
      const msg = byIndex.get(i) ?? {};
      msg[m[2]!] = v;
      byIndex.set(i, msg);
    }
  }
  if (byIndex.size === 0) {
    return null;
  }
  return JSON.stringify([...byIndex.entries()].sort((x, y) => x[0] - y[0]).map(([, m]) => m));
}

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

function finishReasons(a: Attrs, events: readonly SpanEventLite[]): string[] {
  const out: string[] = [];
  const add = (v: Json | undefined) => {
    if (typeof v === 'string' && v !== '') {
      out.push(v);
    } else if (Array.isArray(v)) {
      v.forEach(add);
    }
  };
  add(a['gen_ai.response.finish_reasons']);
  add(a['llm.response.finish_reason']);
  if (out.length === 0) {
    for (const [k, v] of Object.entries(a)) {
      if (/^gen_ai\.completion\.\d+\.finish_reason$/.test(k)) {
        add(v);
      }
    }
    for (const e of events) {
      if (e.name === 'gen_ai.choice') {
        add(e.attributes.finish_reason);
      }
    }
  }
  return [...new Set(out)].slice(0, 16);
}

export function extractLlm(a: Attrs, events: readonly SpanEventLite[]): LlmFields {
  const oiKind = firstString(a, ['openinference.span.kind']);
  const tlKind = firstString(a, ['traceloop.span.kind']);
  const opAttr = firstString(a, ['gen_ai.operation.name']);
  const requestType = firstString(a, ['llm.request.type']);

  const requestModel = firstString(a, ['gen_ai.request.model', 'llm.request.model', 'llm.model_name', 'embedding.model_name']);
  const responseModel = firstString(a, ['gen_ai.response.model', 'llm.response.model']);

  let inputTokens = firstCount(a, [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.usage.prompt_tokens',
    'llm.token_count.prompt',
  ]);
  let outputTokens = firstCount(a, [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.usage.completion_tokens',
    'llm.token_count.completion',
  ]);
  const cacheReadTokens = firstCount(a, [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
    'gen_ai.usage.input_tokens_details.cached_tokens',
  ]);
  const cacheWriteTokens = firstCount(a, [
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
  ]);
  const reasoningTokens = firstCount(a, [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
    'gen_ai.usage.output_tokens_details.reasoning_tokens',
  ]);
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

  let providedUsd = toUsd(a['llm.cost.total']) ?? toUsd(a['gen_ai.usage.cost']);
  if (providedUsd === null) {
    const p = toUsd(a['llm.cost.prompt']);
    const c = toUsd(a['llm.cost.completion']);
    if (p !== null || c !== null) {
      providedUsd = (p ?? 0) + (c ?? 0);
    }
  }

  const traceloopEntity = firstString(a, ['traceloop.entity.name']);
  const ev = eventMessages(events);
  const input =
    jsonToText(a['gen_ai.input.messages']) ??
    jsonToText(a['gen_ai.prompt']) ??
    indexedMessages(a, /^gen_ai\.prompt\.(\d+)\.(role|content)$/) ??
    indexedMessages(a, /^llm\.input_messages\.(\d+)\.message\.(role|content)$/) ??
    jsonToText(a['input.value']) ??
    jsonToText(a['traceloop.entity.input']) ??
    jsonToText(a['gen_ai.tool.call.arguments']) ??
    ev.input;
  const output =
    jsonToText(a['gen_ai.output.messages']) ??
    jsonToText(a['gen_ai.completion']) ??
    indexedMessages(a, /^gen_ai\.completion\.(\d+)\.(role|content)$/) ??
    indexedMessages(a, /^llm\.output_messages\.(\d+)\.message\.(role|content)$/) ??
    jsonToText(a['output.value']) ??
    jsonToText(a['traceloop.entity.output']) ??
    jsonToText(a['gen_ai.tool.call.result']) ??
    ev.output;

  return {
    spanKind,
    provider: normalizeProvider(firstString(a, ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system'])),
    operation,
    requestModel,
    responseModel,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens,
    providedCostMicros: providedUsd === null ? null : usdToMicros(providedUsd),
    sessionId: firstString(a, [
      'gen_ai.conversation.id',
      'session.id',
      'traceloop.association.properties.session_id',
      'gen_ai.session.id',
    ]),
    userId: firstString(a, ['user.id', 'enduser.id', 'gen_ai.user.id', 'traceloop.association.properties.user_id']),
    agentName:
      firstString(a, ['gen_ai.agent.name', 'agent.name']) ?? (spanKind === 'agent' ? traceloopEntity : null),
    toolName: firstString(a, ['gen_ai.tool.name', 'tool.name']) ?? (spanKind === 'tool' ? traceloopEntity : null),
    finishReasons: finishReasons(a, events),
    input,
    output,
  };
}
