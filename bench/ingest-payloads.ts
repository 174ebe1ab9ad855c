// Realistic OTLP/protobuf trace batches for the ingest benchmark: the same span shapes as
// bench/otlp-decode.bench.ts (GenAI / OpenInference / OpenLLMetry attributes, prompt and
// completion content, ~23 attributes and ~2 KB per span), but with timestamps in the last hour
// so that validation and retention keep every span. Encoded once with protobufjs from the
// official .proto (inside @opentelemetry/otlp-transformer), then replayed.

import { createRequire } from 'node:module';

interface PbMessageType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: StringConstructor; bytes: StringConstructor }): unknown;
}
interface PbRoot {
  opentelemetry: { proto: { collector: { trace: { v1: Record<'ExportTraceServiceRequest', PbMessageType> } } } };
}
// The repository root package is CommonJS, so tsx runs bench files as CJS (__filename exists).
const requireCjs = createRequire(__filename);
/** protobufjs static code generated from the official .proto files (also bench/calibrate.ts's reference work). */
export const PbRequest = (requireCjs('@opentelemetry/otlp-transformer/build/src/generated/root') as PbRoot).opentelemetry.proto
  .collector.trace.v1.ExportTraceServiceRequest;

let seed = 0x2545f491;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(0, 255));

const WORDS =
  'the of model token prompt answer context retrieve document user assistant system tool call result cache latency billing invoice customer refund policy order shipping status'.split(
    ' '
  );
// Content (prompts, completions, tool payloads) dominates span size when it is captured; with
// capture off the same attributes carry short placeholders (the "lean" decode scenario).
let captureContent = true;
const text = (words: number) => Array.from({ length: captureContent ? words : Math.min(words, 3) }, () => pick(WORDS)).join(' ');

type Attr = { key: string; value: Record<string, unknown> };
const s = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });
const i = (key: string, v: number): Attr => ({ key, value: { intValue: v } });
const d = (key: string, v: number): Attr => ({ key, value: { doubleValue: v } });
const b = (key: string, v: boolean): Attr => ({ key, value: { boolValue: v } });
const arr = (key: string, vs: string[]): Attr => ({ key, value: { arrayValue: { values: vs.map((v) => ({ stringValue: v })) } } });

const MODELS = [
  ['openai', 'gpt-4o-2024-08-06'],
  ['anthropic', 'claude-3-5-sonnet-20241022'],
  ['aws.bedrock', 'anthropic.claude-3-haiku-20240307-v1:0'],
  ['gcp.gemini', 'gemini-1.5-pro-002'],
] as const;

function llmAttributes(): Attr[] {
  const [provider, model] = pick(MODELS);
  const input = int(200, 6000);
  const cacheRead = int(0, input / 2);
  const output = int(20, 800);
  const attrs: Attr[] = [
    s('gen_ai.operation.name', 'chat'),
    s('gen_ai.provider.name', provider),
    s('gen_ai.system', provider),
    s('gen_ai.request.model', model),
    s('gen_ai.response.model', model),
    s('gen_ai.response.id', `chatcmpl-${Buffer.from(randomBytes(12)).toString('hex')}`),
    arr('gen_ai.response.finish_reasons', ['stop']),
    d('gen_ai.request.temperature', 0.7),
    d('gen_ai.request.top_p', 0.95),
    i('gen_ai.request.max_tokens', 1024),
    i('gen_ai.usage.input_tokens', input),
    i('gen_ai.usage.output_tokens', output),
    i('gen_ai.usage.cache_read.input_tokens', cacheRead),
    i('gen_ai.usage.reasoning.output_tokens', int(0, output / 4)),
    s('gen_ai.conversation.id', `conv-${int(1, 5000)}`),
    s('openinference.span.kind', 'LLM'),
    s('llm.model_name', model),
    i('llm.token_count.prompt', input),
    i('llm.token_count.completion', output),
    i('llm.token_count.total', input + output),
    s('session.id', `sess-${int(1, 900)}`),
    s('user.id', `user-${int(1, 20000)}`),
    s('input.value', text(int(60, 300))),
    s('output.value', text(int(20, 120))),
    s('server.address', `api.${provider}.com`),
    i('server.port', 443),
    b('gen_ai.request.stream', rand() < 0.5),
  ];
  return attrs.slice(0, int(22, attrs.length));
}

function otherAttributes(kind: string): Attr[] {
  const attrs: Attr[] = [
    s('openinference.span.kind', kind),
    s('traceloop.span.kind', kind === 'TOOL' ? 'tool' : 'task'),
    s('gen_ai.operation.name', kind === 'TOOL' ? 'execute_tool' : 'invoke_agent'),
    s('gen_ai.tool.name', pick(['search_orders', 'refund', 'kb_lookup', 'weather'])),
    s('gen_ai.tool.call.id', `call_${Buffer.from(randomBytes(8)).toString('hex')}`),
    s('gen_ai.tool.call.arguments', JSON.stringify({ query: text(8), limit: 5 })),
    s('gen_ai.tool.call.result', text(int(10, 80))),
    s('gen_ai.agent.name', 'support-agent'),
    s('gen_ai.agent.id', 'agent-7'),
    s('gen_ai.conversation.id', `conv-${int(1, 5000)}`),
    s('session.id', `sess-${int(1, 900)}`),
    s('user.id', `user-${int(1, 20000)}`),
    s('input.value', text(int(10, 60))),
    s('output.value', text(int(10, 60))),
    s('traceloop.entity.name', 'handle_ticket'),
    s('code.function', 'handle_ticket'),
    s('code.namespace', 'support.agent.tools'),
    i('thread.id', int(1, 64)),
    s('thread.name', 'worker'),
    i('retrieval.documents.count', int(0, 10)),
    d('retrieval.score.max', rand()),
    b('cache.hit', rand() < 0.3),
    s('deployment.region', 'eu-west-1'),
    s('http.request.method', 'POST'),
    i('http.response.status_code', 200),
  ];
  return attrs.slice(0, int(20, attrs.length));
}

const lo = (x: bigint) => ({ low: Number(x & 0xffffffffn) | 0, high: Number(x >> 32n) | 0, unsigned: true });

/**
 * One ExportTraceServiceRequest of `spansPerBatch` spans in traces of 4-12 spans. The generator
 * is seeded once per process, so every run produces the same sequence of batches.
 */
export function makeBatch(spansPerBatch: number, baseNs: bigint, opts: { captureContent?: boolean } = {}): Uint8Array {
  captureContent = opts.captureContent ?? true;
  const spans: unknown[] = [];
  let t = baseNs;
  while (spans.length < spansPerBatch) {
    const traceId = randomBytes(16);
    const rootId = randomBytes(8);
    const traceLen = Math.min(int(4, 12), spansPerBatch - spans.length);
    for (let k = 0; k < traceLen; k++) {
      const isLlm = k > 0 && rand() < 0.5;
      const kind = isLlm ? 'LLM' : pick(['TOOL', 'AGENT', 'CHAIN', 'RETRIEVER']);
      const start = t + BigInt(int(0, 5_000_000_000));
      const end = start + BigInt(int(1_000_000, 20_000_000_000));
      spans.push({
        traceId,
        spanId: k === 0 ? rootId : randomBytes(8),
        parentSpanId: k === 0 ? undefined : rootId,
        flags: 0x101,
        name: isLlm ? `chat ${pick(MODELS)[1]}` : `${kind.toLowerCase()} handle_ticket`,
        kind: isLlm ? 3 : 1,
        startTimeUnixNano: lo(start),
        endTimeUnixNano: lo(end),
        attributes: isLlm ? llmAttributes() : otherAttributes(kind),
        events:
          isLlm && rand() < 0.3
            ? [{ timeUnixNano: lo(start + 1000n), name: 'gen_ai.choice', attributes: [s('gen_ai.choice', text(20)), i('index', 0)] }]
            : [],
        status: rand() < 0.05 ? { code: 2, message: 'upstream 429: rate limited' } : { code: 0 },
      });
    }
    t += 1_000_000_000n;
  }
  return PbRequest.encode({
    resourceSpans: [
      {
        resource: {
          attributes: [
            s('service.name', 'support-agent'),
            s('service.version', '2.3.1'),
            s('deployment.environment.name', 'prod'),
            s('telemetry.sdk.name', 'opentelemetry'),
            s('telemetry.sdk.language', 'python'),
            s('telemetry.sdk.version', '1.27.0'),
            s('host.name', 'agent-7f9c-x2'),
            s('cloud.region', 'eu-west-1'),
          ],
        },
        scopeSpans: [{ scope: { name: 'openinference.instrumentation.openai', version: '0.1.18' }, spans }],
      },
    ],
  }).finish();
}

/** `count` distinct batches with spans starting in the hour before now (a minute apart, closer for more than 60). */
export function makeBatches(count: number, spansPerBatch: number): Buffer[] {
  const base = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n;
  const step = count <= 60 ? 60_000_000_000n : 3_600_000_000_000n / BigInt(count);
  return Array.from({ length: count }, (_, k) => Buffer.from(makeBatch(spansPerBatch, base + BigInt(k) * step)));
}

/**
 * Prepares bench payloads (cycling through them) until at least `spans` spans, as one apply of
 * the intake would hold them: the replay preparer, the payloads and a cursor the caller keeps.
 */
export function preparedBatch<P extends { spans: { rows: number } }>(
  prepare: (r: { format: 'protobuf'; receivedNs: bigint; body: Uint8Array }) => P | null,
  payloads: readonly Uint8Array[],
  cursor: { next: number },
  receivedNs: bigint,
  spans: number
): { batch: P[]; rows: number } {
  const batch: P[] = [];
  let rows = 0;
  while (rows < spans) {
    const p = prepare({ format: 'protobuf', receivedNs, body: payloads[cursor.next++ % payloads.length]! })!;
    batch.push(p);
    rows += p.spans.rows;
  }
  return { batch, rows };
}
