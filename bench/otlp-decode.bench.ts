// OTLP protobuf decode throughput: batches of 512 realistic LLM spans (20-30 attributes each,
// GenAI / OpenInference / OpenLLMetry keys, prompt/completion content), the size an SDK's
// BatchSpanProcessor sends by default. Run: npx tsx bench/otlp-decode.bench.ts
// Writes bench/results/otlp-decode.json. The protobufjs decoder generated from the official
// .proto files (inside @opentelemetry/otlp-transformer 0.2xx) is measured as a reference.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';

import { decodeTraceRequestProto } from '../ingest/src/otlp/protobuf.js';

interface PbMessageType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
}
interface PbRoot {
  opentelemetry: { proto: { collector: { trace: { v1: Record<'ExportTraceServiceRequest', PbMessageType> } } } };
}
// The repository root package is CommonJS, so tsx runs this file as CJS (__filename/__dirname).
const requireCjs = createRequire(__filename);
const PbRequest = (requireCjs('@opentelemetry/otlp-transformer/build/src/generated/root') as PbRoot).opentelemetry.proto
  .collector.trace.v1.ExportTraceServiceRequest;

const SPANS_PER_BATCH = 512;

// Deterministic pseudo-random numbers, so every run measures the same bytes.
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

const WORDS = 'the of model token prompt answer context retrieve document user assistant system tool call result cache latency billing invoice customer refund policy order shipping status'.split(' ');
// Content (prompts, completions, tool payloads) dominates span size when it is captured; the
// "lean" scenario keeps the same attributes with content capture off (short placeholders).
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

function makeBatch(): Uint8Array {
  const spans: unknown[] = [];
  let t = 1_700_000_000_000_000_000n;
  while (spans.length < SPANS_PER_BATCH) {
    const traceId = randomBytes(16);
    const rootId = randomBytes(8);
    const traceLen = Math.min(int(4, 12), SPANS_PER_BATCH - spans.length);
    for (let k = 0; k < traceLen; k++) {
      const isLlm = k > 0 && rand() < 0.5;
      const kind = isLlm ? 'LLM' : pick(['TOOL', 'AGENT', 'CHAIN', 'RETRIEVER']);
      const start = t + BigInt(int(0, 5_000_000_000));
      const end = start + BigInt(int(1_000_000, 20_000_000_000));
      const lo = (x: bigint) => ({ low: Number(x & 0xffffffffn) | 0, high: Number(x >> 32n) | 0, unsigned: true });
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
        droppedAttributesCount: 0,
        events: isLlm && rand() < 0.3 ? [{ timeUnixNano: lo(start + 1000n), name: 'gen_ai.choice', attributes: [s('gen_ai.choice', text(20)), i('index', 0)] }] : [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: rand() < 0.05 ? { code: 2, message: 'upstream 429: rate limited' } : { code: 0 },
      });
    }
    t += 10_000_000_000n;
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

/**
 * Runs `fn` repeatedly for about `ms` ms of wall time; returns operations per second of wall
 * time and per second of process CPU time (robust when other work shares the machine; includes
 * the GC's helper threads, so it errs on the slow side).
 */
function measure(fn: () => void, ms: number): { wall: number; cpu: number } {
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let k = 0; k < 10; k++) fn();
    ops += 10;
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall: ops / (Number(elapsed) / 1e9), cpu: ops / ((cpu.user + cpu.system) / 1e6) };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Rates = { wall: number; cpu: number };

function figures(rs: Rates[], avgBatchBytes: number) {
  const cpu = median(rs.map((x) => x.cpu));
  const wall = median(rs.map((x) => x.wall));
  return {
    spansPerCpuSec: Math.round(cpu * SPANS_PER_BATCH),
    mbPerCpuSec: Number(((cpu * avgBatchBytes) / 1e6).toFixed(1)),
    spansPerWallSec: Math.round(wall * SPANS_PER_BATCH),
    mbPerWallSec: Number(((wall * avgBatchBytes) / 1e6).toFixed(1)),
    usPerSpanCpu: Number((1e6 / (cpu * SPANS_PER_BATCH)).toFixed(3)),
  };
}

let sink = 0;

function scenario(name: string, withContent: boolean) {
  captureContent = withContent;
  const batches = Array.from({ length: 8 }, makeBatch);
  const avgBatchBytes = batches.reduce((n, x) => n + x.length, 0) / batches.length;
  const sampleSpans = decodeTraceRequestProto(batches[0]!).resourceSpans[0]!.scopeSpans[0]!.spans;
  const avgAttributes = sampleSpans.reduce((n, sp) => n + sp.attributes.length, 0) / sampleSpans.length;

  let next = 0;
  const ours = () => {
    sink += decodeTraceRequestProto(batches[next++ & 7]!).resourceSpans.length;
  };
  const reference = () => {
    PbRequest.decode(batches[next++ & 7]!);
    sink += 1;
  };
  measure(ours, 1500); // warm-up (JIT)
  measure(reference, 1000);
  const rounds = { ours: [] as Rates[], ref: [] as Rates[] };
  for (let round = 0; round < 5; round++) {
    rounds.ours.push(measure(ours, 1000));
    rounds.ref.push(measure(reference, 1000));
  }
  const decode = figures(rounds.ours, avgBatchBytes);
  const reference_ = figures(rounds.ref, avgBatchBytes);
  const fmt = (n: number) => n.toLocaleString('en-US');
  console.log(
    `[${name}] ${SPANS_PER_BATCH} spans/batch, ${avgAttributes.toFixed(1)} attrs/span, ${(avgBatchBytes / 1024).toFixed(0)} KiB/batch`,
  );
  console.log(
    `  decode: ${fmt(decode.spansPerCpuSec)} spans/s, ${decode.mbPerCpuSec} MB/s per CPU second ` +
      `(wall: ${fmt(decode.spansPerWallSec)} spans/s, ${decode.mbPerWallSec} MB/s)`,
  );
  console.log(`  reference protobufjs: ${fmt(reference_.spansPerCpuSec)} spans/s, ${reference_.mbPerCpuSec} MB/s per CPU second`);
  return {
    spansPerBatch: SPANS_PER_BATCH,
    avgAttributesPerSpan: Number(avgAttributes.toFixed(1)),
    avgBatchBytes: Math.round(avgBatchBytes),
    decode,
    referenceProtobufjs: reference_,
  };
}

const withContent = scenario('llm spans with prompt/completion content', true);
const lean = scenario('llm spans, content capture off', false);
const result = {
  benchmark: 'otlp-decode',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
  note:
    'decodeTraceRequestProto on one thread; spans/s per CPU second of the process (GC helper threads included). ' +
    'referenceProtobufjs = protobufjs static decode generated from the official .proto (raw byte ids, Long ints, no conversion).',
  scenarios: { withContent, lean },
  target: {
    spansPerSec: 200_000,
    met: withContent.decode.spansPerCpuSec > 200_000 && lean.decode.spansPerCpuSec > 200_000,
  },
};
const out = join(__dirname, 'results', 'otlp-decode.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${out} (checksum ${sink % 10})`);
