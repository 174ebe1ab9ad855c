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
import { makeBatch } from './ingest-payloads';

interface PbMessageType {
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

// The span shapes are the ingest benchmark's (bench/ingest-payloads.ts); the timestamps are
// fixed so every run decodes the same bytes.
const BASE_NS = 1_700_000_000_000_000_000n;

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
  const batches = Array.from({ length: 8 }, (_, k) =>
    makeBatch(SPANS_PER_BATCH, BASE_NS + BigInt(k) * 600_000_000_000n, { captureContent: withContent })
  );
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
