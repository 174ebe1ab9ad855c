// Synthetic LLM application traffic as OTLP/HTTP JSON (GenAI semantic conventions, with a few
// OpenInference/OpenLLMetry attributes where real instrumentations put them). Five services:
//
//   support-agent   agent loop: Claude Sonnet 4.5 (streaming, prompt cache) calling tools
//                   (order lookup, refunds) and a knowledge-base retriever (embeddings + vector search)
//   checkout-api    fraud summary with gpt-4o-mini behind a semantic cache (hits skip the model)
//   rag-search      embeddings -> retrieval -> rerank -> Gemini 2.5 Flash or gpt-4.1-mini, streaming
//   code-review     agent with DeepSeek or Mistral Large fetching a diff
//   research-agent  rare (1 %) deep-research runs: many o3 / Claude Opus 4.1 calls on huge
//                   contexts, a few dollars each (the "very expensive traces")
//
// Failures: 429 rate limits, 30 s timeouts, 5xx from providers, tool timeouts; a failure makes
// the trace's root span an error. Every model is in the bundled price table (src/pricing).
import { randFor, type Rand } from './random.js';

export type JsonAttr = { key: string; value: Record<string, unknown> };
export interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: JsonAttr[];
  events: Array<{ timeUnixNano: string; name: string; attributes: JsonAttr[] }>;
  status: { code: number; message?: string };
}
export interface OtlpJsonRequest {
  resourceSpans: Array<{
    resource: { attributes: JsonAttr[] };
    scopeSpans: Array<{ scope: { name: string; version: string }; spans: JsonSpan[] }>;
  }>;
}

export const SERVICES = {
  'support-agent': { version: '1.4.2', language: 'python' },
  'checkout-api': { version: '2.11.0', language: 'nodejs' },
  'rag-search': { version: '0.9.1', language: 'python' },
  'code-review': { version: '0.3.0', language: 'go' },
  'research-agent': { version: '0.1.7', language: 'python' },
} as const;
export type ServiceName = keyof typeof SERVICES;

interface ModelSpec {
  provider: string;
  request: string;
  response: string;
  host: string;
  /** Output tokens per second and median time to first token (ms). */
  tps: number;
  ttftMs: number;
  reasoning?: boolean;
}

/** The models the demo calls; each one has a price in src/pricing/prices.ts. */
export const MODELS = {
  sonnet: {
    provider: 'anthropic',
    request: 'claude-sonnet-4-5',
    response: 'claude-sonnet-4-5-20250929',
    host: 'api.anthropic.com',
    tps: 70,
    ttftMs: 600,
  },
  opus: {
    provider: 'anthropic',
    request: 'claude-opus-4-1',
    response: 'claude-opus-4-1-20250805',
    host: 'api.anthropic.com',
    tps: 35,
    ttftMs: 1500,
  },
  gpt4oMini: {
    provider: 'openai',
    request: 'gpt-4o-mini',
    response: 'gpt-4o-mini-2024-07-18',
    host: 'api.openai.com',
    tps: 90,
    ttftMs: 350,
  },
  gpt41Mini: {
    provider: 'openai',
    request: 'gpt-4.1-mini',
    response: 'gpt-4.1-mini-2025-04-14',
    host: 'api.openai.com',
    tps: 85,
    ttftMs: 400,
  },
  o3: {
    provider: 'openai',
    request: 'o3',
    response: 'o3-2025-04-16',
    host: 'api.openai.com',
    tps: 50,
    ttftMs: 4000,
    reasoning: true,
  },
  gemini: {
    provider: 'gcp.gemini',
    request: 'gemini-2.5-flash',
    response: 'gemini-2.5-flash',
    host: 'generativelanguage.googleapis.com',
    tps: 160,
    ttftMs: 400,
  },
  deepseek: {
    provider: 'deepseek',
    request: 'deepseek-chat',
    response: 'deepseek-chat',
    host: 'api.deepseek.com',
    tps: 45,
    ttftMs: 900,
  },
  mistral: {
    provider: 'mistral_ai',
    request: 'mistral-large-2411',
    response: 'mistral-large-2411',
    host: 'api.mistral.ai',
    tps: 55,
    ttftMs: 500,
  },
  embed: {
    provider: 'openai',
    request: 'text-embedding-3-small',
    response: 'text-embedding-3-small',
    host: 'api.openai.com',
    tps: 0,
    ttftMs: 60,
  },
} as const satisfies Record<string, ModelSpec>;

export interface TrafficOptions {
  seed: number;
  /** Start of the timeline (ms): trace i starts in slot i of length 1000 / rate ms after it. */
  startMs: number;
  /** Traces per second. */
  rate: number;
}

export interface DemoTrace {
  index: number;
  traceId: string;
  service: ServiceName;
  startMs: number;
  endMs: number;
  error: boolean;
  spans: JsonSpan[];
}

const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
const STREAM_TRACES = 1;

export function attr(key: string, v: string | number | boolean | string[]): JsonAttr {
  if (Array.isArray(v)) {
    return { key, value: { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } };
  }
  if (typeof v === 'string') {
    return { key, value: { stringValue: v } };
  }
  if (typeof v === 'boolean') {
    return { key, value: { boolValue: v } };
  }
  return Number.isInteger(v) ? { key, value: { intValue: String(v) } } : { key, value: { doubleValue: v } };
}

const ns = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
const ERR = (message: string) => ({ code: 2, message });

class TraceBuilder {
  readonly spans: JsonSpan[] = [];
  readonly traceId: string;
  error = false;
  constructor(readonly r: Rand) {
    this.traceId = r.hex(32);
  }

  span(
    parent: JsonSpan | null,
    name: string,
    kind: number,
    startMs: number,
    durMs: number,
    attributes: JsonAttr[]
  ): JsonSpan {
    const s: JsonSpan = {
      traceId: this.traceId,
      spanId: this.r.hex(16),
      parentSpanId: parent?.spanId ?? '',
      name,
      kind,
      startTimeUnixNano: ns(startMs),
      endTimeUnixNano: ns(startMs + durMs),
      attributes,
      events: [],
      status: { code: 0 },
    };
    this.spans.push(s);
    return s;
  }

  end(s: JsonSpan, endMs: number): void {
    s.endTimeUnixNano = ns(endMs);
  }

  fail(s: JsonSpan, message: string): void {
    s.status = ERR(message);
    this.error = true;
  }
}

type Failure = 'rate_limit' | 'timeout' | 'server_error';
interface LlmCall {
  model: ModelSpec;
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  stream?: boolean;
  finish?: string;
  fail?: Failure | null;
  user: string;
  session: string;
  prompt: string;
  answer: string;
  system?: string;
}

/** One model call; returns the span and its end time. */
function llm(b: TraceBuilder, parent: JsonSpan, startMs: number, c: LlmCall): { span: JsonSpan; endMs: number } {
  const r = b.r;
  const m = c.model;
  const ttft = r.logNormal(m.ttftMs, 0.35);
  const reasoning = m.reasoning ? Math.round(c.output * r.range(0.5, 0.8)) : 0;
  const dur = ttft + (c.output / m.tps) * 1000 * r.range(0.85, 1.2);
  const attrs: JsonAttr[] = [
    attr('gen_ai.operation.name', 'chat'),
    attr('gen_ai.provider.name', m.provider),
    attr('gen_ai.request.model', m.request),
    attr('gen_ai.request.temperature', 0.2),
    attr('gen_ai.request.max_tokens', Math.max(1024, c.output * 2)),
    attr('gen_ai.conversation.id', c.session),
    attr('user.id', c.user),
    attr('server.address', m.host),
    attr('llm.is_streaming', c.stream ?? false),
    attr('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: c.prompt }] }])),
  ];
  if (c.system) {
    attrs.push(attr('gen_ai.system_instructions', JSON.stringify([{ type: 'text', content: c.system }])));
  }
  const name = `chat ${m.request}`;
  if (c.fail) {
    const failDur = c.fail === 'timeout' ? 30_000 : c.fail === 'rate_limit' ? r.range(80, 300) : r.range(500, 3000);
    const s = b.span(parent, name, SPAN_KIND.client, startMs, failDur, attrs);
    const [type, message] =
      c.fail === 'timeout'
        ? ['timeout', `request to ${m.host} timed out after 30s`]
        : c.fail === 'rate_limit'
          ? ['429', 'rate limit exceeded (HTTP 429): retry after 20s']
          : ['503', `${m.provider} is overloaded (HTTP 503)`];
    attrs.push(attr('error.type', type));
    if (c.fail !== 'timeout') {
      attrs.push(attr('http.response.status_code', Number(type)));
    }
    b.fail(s, message);
    return { span: s, endMs: startMs + failDur };
  }
  attrs.push(
    attr('gen_ai.response.model', m.response),
    attr('gen_ai.response.id', `resp_${r.hex(16)}`),
    attr('gen_ai.response.finish_reasons', [c.finish ?? 'stop']),
    attr('gen_ai.usage.input_tokens', c.input),
    attr('gen_ai.usage.output_tokens', c.output),
    attr(
      'gen_ai.output.messages',
      JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: c.answer }], finish_reason: c.finish ?? 'stop' },
      ])
    )
  );
  if (c.cacheRead) {
    attrs.push(attr('gen_ai.usage.cache_read.input_tokens', c.cacheRead));
  }
  if (c.cacheWrite) {
    attrs.push(attr('gen_ai.usage.cache_creation.input_tokens', c.cacheWrite));
  }
  if (reasoning > 0) {
    attrs.push(attr('gen_ai.usage.reasoning.output_tokens', reasoning));
  }
  const s = b.span(parent, name, SPAN_KIND.client, startMs, dur, attrs);
  if (c.stream) {
    s.events.push({
      timeUnixNano: ns(startMs + ttft),
      name: 'gen_ai.first_token',
      attributes: [attr('gen_ai.response.time_to_first_token_ms', Math.round(ttft))],
    });
  }
  return { span: s, endMs: startMs + dur };
}

function embed(b: TraceBuilder, parent: JsonSpan, startMs: number, tokens: number): number {
  const dur = b.r.logNormal(70, 0.3);
  b.span(parent, `embeddings ${MODELS.embed.request}`, SPAN_KIND.client, startMs, dur, [
    attr('gen_ai.operation.name', 'embeddings'),
    attr('gen_ai.provider.name', MODELS.embed.provider),
    attr('gen_ai.request.model', MODELS.embed.request),
    attr('gen_ai.usage.input_tokens', tokens),
    attr('server.address', MODELS.embed.host),
  ]);
  return startMs + dur;
}

function retrieve(b: TraceBuilder, parent: JsonSpan, startMs: number, index: string, query: string): number {
  const dur = b.r.logNormal(35, 0.5);
  b.span(parent, `retrieval ${index}`, SPAN_KIND.client, startMs, dur, [
    attr('gen_ai.operation.name', 'retrieval'),
    attr('gen_ai.data_source.id', index),
    attr('openinference.span.kind', 'RETRIEVER'),
    attr('db.system.name', 'qdrant'),
    attr('input.value', query),
    attr('retrieval.documents.count', b.r.int(3, 12)),
  ]);
  return startMs + dur;
}

function tool(
  b: TraceBuilder,
  parent: JsonSpan,
  startMs: number,
  name: string,
  args: Record<string, unknown>,
  fail: boolean
): number {
  const dur = fail ? 10_000 : b.r.logNormal(120, 0.6);
  const s = b.span(parent, `execute_tool ${name}`, SPAN_KIND.internal, startMs, dur, [
    attr('gen_ai.operation.name', 'execute_tool'),
    attr('gen_ai.tool.name', name),
    attr('gen_ai.tool.type', 'function'),
    attr('gen_ai.tool.call.id', `call_${b.r.hex(12)}`),
    attr('gen_ai.tool.call.arguments', JSON.stringify(args)),
  ]);
  if (fail) {
    s.attributes.push(attr('error.type', 'timeout'));
    b.fail(s, `tool ${name} timed out after 10s`);
  }
  return startMs + dur;
}

function root(b: TraceBuilder, method: string, route: string, startMs: number): JsonSpan {
  return b.span(null, `${method} ${route}`, SPAN_KIND.server, startMs, 0, [
    attr('http.request.method', method),
    attr('http.route', route),
  ]);
}

function closeRoot(b: TraceBuilder, s: JsonSpan, endMs: number): void {
  b.end(s, endMs);
  s.attributes.push(attr('http.response.status_code', b.error ? 502 : 200));
  if (b.error) {
    s.status = ERR('upstream call failed');
  }
}

function failure(r: Rand, rates: { rateLimit: number; timeout: number; server: number }): Failure | null {
  const x = r.next();
  if (x < rates.rateLimit) {
    return 'rate_limit';
  }
  if (x < rates.rateLimit + rates.timeout) {
    return 'timeout';
  }
  return x < rates.rateLimit + rates.timeout + rates.server ? 'server_error' : null;
}

const SUPPORT_QUESTIONS = [
  'Where is my order #%?',
  'I was charged twice for order #%',
  'Can I return the shoes from order #%?',
  'How do I change my delivery address?',
  'My discount code does not work',
];
const SEARCHES = [
  'waterproof hiking boots',
  'usb-c dock for two monitors',
  'gift for a 10 year old',
  'quiet mechanical keyboard',
  'organic coffee beans',
];

function supportAgent(b: TraceBuilder, t0: number, user: string, session: string): number {
  const r = b.r;
  const order = String(r.int(10000, 99999));
  const question = r.pick(SUPPORT_QUESTIONS).replace('%', order);
  const rs = root(b, 'POST', '/v1/support/chat', t0);
  const agent = b.span(rs, 'invoke_agent support-bot', SPAN_KIND.internal, t0 + 3, 0, [
    attr('gen_ai.operation.name', 'invoke_agent'),
    attr('gen_ai.agent.name', 'support-bot'),
    attr('gen_ai.agent.id', 'agent_support_v3'),
    attr('gen_ai.provider.name', 'anthropic'),
    attr('gen_ai.conversation.id', session),
  ]);
  let cursor = t0 + 6;
  const steps = r.int(1, 3);
  const tools = ['lookup_order', 'search_kb', 'refund_order'] as const;
  let context = r.int(1800, 3500);
  for (let step = 0; step <= steps && !b.error; step++) {
    const last = step === steps;
    // The long system prompt is cached by Anthropic after the first call of a session.
    const cached = r.chance(0.7);
    const call = llm(b, agent, cursor, {
      model: MODELS.sonnet,
      input: context,
      output: last ? r.int(120, 600) : r.int(30, 90),
      cacheRead: cached ? 1600 : 0,
      cacheWrite: cached ? 0 : 1600,
      stream: true,
      finish: last ? 'end_turn' : 'tool_use',
      fail: failure(r, { rateLimit: 0.01, timeout: 0.003, server: 0.004 }),
      user,
      session,
      prompt: question,
      answer: last ? `I checked order #${order}: it ships tomorrow.` : '',
      system: 'You are the support assistant of Acme Outdoor. Use the tools; never invent order data.',
    });
    cursor = call.endMs + 2;
    if (last || b.error) {
      break;
    }
    const name = r.pick(tools);
    if (name === 'search_kb') {
      const kb = b.span(agent, 'execute_tool search_kb', SPAN_KIND.internal, cursor, 0, [
        attr('gen_ai.operation.name', 'execute_tool'),
        attr('gen_ai.tool.name', 'search_kb'),
        attr('gen_ai.tool.type', 'datastore'),
      ]);
      let c = embed(b, kb, cursor + 1, r.int(8, 40));
      c = retrieve(b, kb, c + 1, 'kb-articles', question);
      b.end(kb, c + 1);
      cursor = c + 3;
      context += r.int(1500, 4000);
    } else {
      cursor = tool(b, agent, cursor, name, { order, user }, r.chance(0.02)) + 2;
      context += r.int(200, 800);
    }
  }
  b.end(agent, cursor);
  closeRoot(b, rs, cursor + 2);
  return cursor + 2;
}

function checkout(b: TraceBuilder, t0: number, user: string, session: string): number {
  const r = b.r;
  const rs = root(b, 'POST', '/checkout', t0);
  const db = r.logNormal(12, 0.5);
  b.span(rs, 'SELECT orders', SPAN_KIND.client, t0 + 1, db, [
    attr('db.system.name', 'postgresql'),
    attr('db.operation.name', 'SELECT'),
  ]);
  let cursor = t0 + db + 2;
  const hit = r.chance(0.4);
  const cache = b.span(rs, 'cache.get fraud-summary', SPAN_KIND.client, cursor, r.range(0.6, 2.5), [
    attr('db.system.name', 'redis'),
    attr('cache.hit', hit),
    attr('pyflare.demo.semantic_cache', true),
  ]);
  cursor = Number(BigInt(cache.endTimeUnixNano) / 1_000_000n) + 1;
  if (!hit) {
    const input = r.int(900, 2400);
    const call = llm(b, rs, cursor, {
      model: MODELS.gpt4oMini,
      input,
      output: r.int(60, 220),
      cacheRead: r.chance(0.6) ? 1024 : 0,
      fail: failure(r, { rateLimit: 0.005, timeout: 0.015, server: 0.005 }),
      user,
      session,
      prompt: 'Summarize the fraud signals of this order for a reviewer.',
      answer: 'Low risk: known device, billing address matches, order value typical for this customer.',
    });
    cursor = call.endMs + 1;
  }
  const pay = r.logNormal(180, 0.4);
  b.span(rs, 'POST payments/authorize', SPAN_KIND.client, cursor, pay, [
    attr('http.request.method', 'POST'),
    attr('server.address', 'payments.internal'),
  ]);
  cursor += pay + 1;
  closeRoot(b, rs, cursor);
  return cursor;
}

function ragSearch(b: TraceBuilder, t0: number, user: string, session: string): number {
  const r = b.r;
  const q = r.pick(SEARCHES);
  const rs = root(b, 'GET', '/search', t0);
  let cursor = embed(b, rs, t0 + 2, r.int(4, 16)) + 1;
  cursor = retrieve(b, rs, cursor, 'products-index', q) + 1;
  const rerank = r.logNormal(40, 0.3);
  b.span(rs, 'rerank products', SPAN_KIND.internal, cursor, rerank, [
    attr('openinference.span.kind', 'RERANKER'),
    attr('reranker.top_k', 5),
  ]);
  cursor += rerank + 1;
  const call = llm(b, rs, cursor, {
    model: r.chance(0.65) ? MODELS.gemini : MODELS.gpt41Mini,
    input: r.int(2500, 7000),
    output: r.int(150, 500),
    stream: true,
    fail: failure(r, { rateLimit: 0.01, timeout: 0.005, server: 0.01 }),
    user,
    session,
    prompt: `Answer "${q}" from the retrieved products.`,
    answer: `Here are three ${q} that match.`,
  });
  cursor = call.endMs + 2;
  closeRoot(b, rs, cursor);
  return cursor;
}

function codeReview(b: TraceBuilder, t0: number, user: string, session: string): number {
  const r = b.r;
  const rs = root(b, 'POST', '/review', t0);
  const model = r.chance(0.5) ? MODELS.deepseek : MODELS.mistral;
  const agent = b.span(rs, 'invoke_agent code-reviewer', SPAN_KIND.internal, t0 + 2, 0, [
    attr('gen_ai.operation.name', 'invoke_agent'),
    attr('gen_ai.agent.name', 'code-reviewer'),
    attr('gen_ai.provider.name', model.provider),
  ]);
  let cursor = tool(b, agent, t0 + 3, 'fetch_diff', { pr: r.int(100, 999) }, r.chance(0.01)) + 1;
  if (!b.error) {
    const call = llm(b, agent, cursor, {
      model,
      input: r.int(3000, 12000),
      output: r.int(300, 1200),
      fail: failure(r, { rateLimit: 0.01, timeout: 0.01, server: 0.01 }),
      user,
      session,
      prompt: 'Review this diff for bugs and style issues.',
      answer: 'Two issues: an unchecked error on line 42 and a missing test for the empty case.',
    });
    cursor = call.endMs + 1;
  }
  b.end(agent, cursor);
  closeRoot(b, rs, cursor + 1);
  return cursor + 1;
}

/** A deep-research run: many calls to the most expensive models on huge contexts. */
function research(b: TraceBuilder, t0: number, user: string, session: string): number {
  const r = b.r;
  const rs = root(b, 'POST', '/research', t0);
  const agent = b.span(rs, 'invoke_agent deep-researcher', SPAN_KIND.internal, t0 + 2, 0, [
    attr('gen_ai.operation.name', 'invoke_agent'),
    attr('gen_ai.agent.name', 'deep-researcher'),
    attr('gen_ai.provider.name', 'openai'),
  ]);
  let cursor = t0 + 4;
  const rounds = r.int(4, 8);
  for (let i = 0; i < rounds && !b.error; i++) {
    cursor = tool(b, agent, cursor, 'web_search', { q: `market report ${i}` }, false) + 1;
    const call = llm(b, agent, cursor, {
      model: i % 2 === 0 ? MODELS.o3 : MODELS.opus,
      input: r.int(60_000, 180_000),
      output: r.int(2000, 8000),
      finish: i === rounds - 1 ? 'stop' : 'tool_calls',
      fail: failure(r, { rateLimit: 0.01, timeout: 0.02, server: 0 }),
      user,
      session,
      prompt: 'Compile a competitor analysis from the search results so far.',
      answer: 'Draft section: pricing comparison of the five largest competitors.',
    });
    cursor = call.endMs + 1;
  }
  b.end(agent, cursor);
  closeRoot(b, rs, cursor + 1);
  return cursor + 1;
}

const SCENARIOS: ReadonlyArray<readonly [ServiceName, number]> = [
  ['support-agent', 35],
  ['checkout-api', 25],
  ['rag-search', 25],
  ['code-review', 14],
  ['research-agent', 1],
];

/** Start of trace `index`'s slot: the timeline is the same whatever the batch or clock. */
export function slotStart(opts: TrafficOptions, index: number): number {
  return opts.startMs + (index * 1000) / opts.rate;
}

/** Trace number `index` of the timeline (a pure function of seed, startMs, rate and index). */
export function buildTrace(opts: TrafficOptions, index: number): DemoTrace {
  const r = randFor(opts.seed, STREAM_TRACES, index);
  const b = new TraceBuilder(r);
  const start = slotStart(opts, index) + r.range(0, 900 / opts.rate);
  const service = r.weighted(SCENARIOS);
  const user = `user-${r.int(1, 40)}`;
  const session = `sess-${r.hex(10)}`;
  const build = {
    'support-agent': supportAgent,
    'checkout-api': checkout,
    'rag-search': ragSearch,
    'code-review': codeReview,
    'research-agent': research,
  }[service];
  const end = build(b, start, user, session);
  return { index, traceId: b.traceId, service, startMs: start, endMs: end, error: b.error, spans: b.spans };
}

/** OTLP/HTTP JSON export requests for traces: one request, one resource per service. */
export function toOtlp(traces: readonly DemoTrace[]): OtlpJsonRequest {
  const byService = new Map<ServiceName, JsonSpan[]>();
  for (const t of traces) {
    const list = byService.get(t.service) ?? [];
    list.push(...t.spans);
    byService.set(t.service, list);
  }
  return { resourceSpans: [...byService.entries()].map(([svc, spans]) => resourceSpans(svc, '0.2.0', spans)) };
}

/** One service's spans as an OTLP resource (also used by the small fixed demo in ./seed.ts). */
export function resourceSpans(
  svc: ServiceName,
  scopeVersion: string,
  spans: JsonSpan[]
): OtlpJsonRequest['resourceSpans'][number] {
  return {
    resource: {
      attributes: [
        attr('service.name', svc),
        attr('service.version', SERVICES[svc].version),
        attr('deployment.environment.name', 'demo'),
        attr('telemetry.sdk.language', SERVICES[svc].language),
      ],
    },
    scopeSpans: [{ scope: { name: 'pyflare-demo', version: scopeVersion }, spans }],
  };
}
