// One OTLP export, whatever the transport: normalize straight into storage chunks, make the
// request durable, count.
import { StorageRefusedError } from '../errors.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import { normalizeRequestSteps, SpanStream, type Limits, type NormalizeSummary, type Pricer, type RowRedactor, type SpanSink } from '../normalize/index.js';
import { decodeTraceRequestJson } from '../otlp/json.js';
import { decodeTraceRequestProto, visitTraceRequestProtoSteps } from '../otlp/protobuf.js';
import type { ExportResult, ExportTraceServiceRequest } from '../otlp/types.js';
import type { PreparedSpans, SpanBatchBuilder } from '../storage/duckdb.js';
import { copyRow, type SpanRow } from '../storage/types.js';
import type { BodyFormat } from '../wal/wal.js';
import { openLoggedBody, type WalCipher } from '../privacy/walCipher.js';
import type { Sampler } from '../sampling/index.js';
import { Mutex } from '../util/mutex.js';
import { TimeSlices } from '../util/slices.js';
import type { Intake, IntakeRequest, PrepareLogged } from './pipeline.js';

/** The request body as received (after decompression): what the WAL logs. */
export interface RawRequest {
  format: BodyFormat;
  body: Uint8Array;
  /**
   * Queue room the receiver already reserved for this request (Intake.reserve). The exporter
   * sets `taken` when it takes the reservation over; otherwise the receiver releases it.
   */
  reservation?: { bytes: number; taken: boolean };
}

export type ExportFn = (req: ExportTraceServiceRequest, protocol: 'http' | 'grpc', raw: RawRequest) => Promise<ExportResult>;

/**
 * An OTLP/protobuf request that is not decoded up front: the exporter decodes and normalizes
 * it span by span (see visitTraceRequestProto). Reading `resourceSpans` decodes it whole, for
 * callers that need the tree (a full decode each time: keep the result only briefly).
 */
export class ProtoRequest implements ExportTraceServiceRequest {
  constructor(readonly body: Uint8Array) {}
  get resourceSpans(): ExportTraceServiceRequest['resourceSpans'] {
    return decodeTraceRequestProto(this.body).resourceSpans;
  }
}

export interface SpanBatchFactory {
  /** `bodyBytes`: the request's size (small ones are held as rows until applied). */
  newSpanBatch(bodyBytes: number): SpanBatchBuilder;
}

export interface ExporterDeps {
  intake: Intake;
  storage: SpanBatchFactory;
  metrics: ServiceMetrics;
  pricer: Pricer | null;
  limits?: Limits;
  /** PII redaction inside normalization (privacy/). */
  redactor?: RowRedactor | null;
  /** With redaction on: logged bodies are sealed (the WAL holds raw, unredacted requests). */
  walCipher?: WalCipher | null;
  /** Trace sampling (sampling/): sampled-out spans feed the time rollups and metrics only. */
  sampler?: Sampler | null;
}

/** Per-request sums of the LLM metrics (incremented once per key, not once per span). */
export class LlmCounts {
  private readonly byKey = new Map<string, { provider: string; model: string; service: string; n: number; tokens: number[]; cost: number }>();

  add(r: Readonly<SpanRow>): void {
    const model = r.responseModel ?? r.requestModel;
    if (model === null && r.inputTokens === null && r.outputTokens === null) {
      return;
    }
    const provider = r.provider ?? 'unknown';
    const m = model ?? 'unknown';
    const key = `${provider}\u0000${m}\u0000${r.service}`;
    let e = this.byKey.get(key);
    if (!e) {
      e = { provider, model: m, service: r.service, n: 0, tokens: [0, 0, 0, 0, 0], cost: 0 };
      this.byKey.set(key, e);
    }
    e.n++;
    e.tokens[0]! += r.inputTokens ?? 0;
    e.tokens[1]! += r.outputTokens ?? 0;
    e.tokens[2]! += r.cacheReadTokens ?? 0;
    e.tokens[3]! += r.cacheWriteTokens ?? 0;
    e.tokens[4]! += r.reasoningTokens ?? 0;
    e.cost += r.costMicros ?? 0;
  }

  record(metrics: ServiceMetrics): void {
    for (const e of this.byKey.values()) {
      const labels = { provider: e.provider, model: e.model, service: e.service };
      metrics.llmRequests.inc(labels, e.n);
      for (let i = 0; i < TOKEN_TYPES.length; i++) {
        if (e.tokens[i]) {
          metrics.llmTokens.inc({ ...labels, type: TOKEN_TYPES[i]! }, e.tokens[i]);
        }
      }
      if (e.cost) {
        metrics.llmCost.inc(labels, e.cost / 1e6);
      }
    }
  }
}
const TOKEN_TYPES = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'];

function decodeBody(format: BodyFormat, body: Uint8Array): ExportTraceServiceRequest {
  return format === 'protobuf' ? new ProtoRequest(body) : decodeTraceRequestJson(body);
}

type NormalizeOpts = Parameters<typeof normalizeRequestSteps>[1];

/** Normalizes a request span by span, streaming straight from protobuf when it was not decoded. */
export function normalizeAny(req: ExportTraceServiceRequest, opts: NormalizeOpts, sink: SpanSink): NormalizeSummary {
  return runSteps(normalizeSteps(req, opts, sink));
}

/** normalizeAny one span per step. */
function* normalizeSteps(req: ExportTraceServiceRequest, opts: NormalizeOpts, sink: SpanSink): Generator<void, NormalizeSummary, void> {
  if (req instanceof ProtoRequest) {
    const stream = new SpanStream(opts, sink);
    yield* visitTraceRequestProtoSteps(req.body, stream);
    return stream.summary();
  }
  return yield* normalizeRequestSteps(req, opts, sink);
}

interface Prepared {
  prepared: PreparedSpans;
  summary: NormalizeSummary;
}

/** Normalizes a decoded request into a storage batch, one span per step. */
function* prepareSteps(
  deps: Pick<ExporterDeps, 'storage' | 'pricer' | 'limits' | 'redactor' | 'sampler'>,
  req: ExportTraceServiceRequest,
  nowNs: bigint,
  counts: LlmCounts | null,
  bodyBytes: number
): Generator<void, Prepared, void> {
  const batch = deps.storage.newSpanBatch(bodyBytes);
  const sampler = deps.sampler?.active ? deps.sampler : null;
  const opts = { pricer: deps.pricer, limits: deps.limits, redactor: deps.redactor, nowNs };
  try {
    if (sampler) {
      // Whole traces: the request's rows are decided together, then stored or only counted.
      const rows: SpanRow[] = [];
      const summary = yield* normalizeSteps(req, opts, (r) => {
        rows.push(copyRow(r));
        counts?.add(r);
      });
      sampler.route(rows, { keep: (r) => batch.add(r), drop: (r) => batch.addCountedOnly(r) });
      return { prepared: batch.finish(), summary };
    }
    const summary = yield* normalizeSteps(req, opts, (r) => {
      batch.add(r);
      counts?.add(r);
    });
    return { prepared: batch.finish(), summary };
  } catch (e) {
    batch.discard();
    throw e;
  }
}

function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const s = steps.next();
    if (s.done) {
      return s.value;
    }
  }
}

/**
 * The JS thread is busy for at most this long at a time while it normalizes a request. DuckDB
 * applies the queued spans meanwhile on its own thread, and each of its calls back into JS (a
 * chunk to copy, a statement done) waits for the JS thread: with whole requests (~10 ms for 512
 * spans), DuckDB spent about a third of each apply waiting.
 */
const SLICE_MS = 1;

/** Normalizations run one at a time (span chunks are filled one at a time; see spanChunks.ts). */
const prepareLock = new Mutex();

/** prepareSteps in slices of about SLICE_MS, letting the event loop run in between. */
function prepareSliced(deps: ExporterDeps, req: ExportTraceServiceRequest, nowNs: bigint, counts: LlmCounts, bodyBytes: number): Promise<Prepared> {
  return prepareLock.run(async () => {
    const steps = prepareSteps(deps, req, nowNs, counts, bodyBytes);
    const slices = new TimeSlices(SLICE_MS);
    for (;;) {
      const s = steps.next();
      if (s.done) {
        return s.value;
      }
      if (slices.due()) {
        await slices.pause();
      }
    }
  });
}

/** WAL replay: the same normalization, against the time the request was received. */
export function createReplayPreparer(deps: Pick<ExporterDeps, 'storage' | 'pricer' | 'limits' | 'redactor' | 'walCipher' | 'sampler'>): PrepareLogged {
  return (r) => {
    const body = openLoggedBody(r.body, deps.walCipher ?? null);
    const { prepared } = runSteps(prepareSteps(deps, decodeBody(r.format, body), r.receivedNs, null, body.byteLength));
    if (prepared.spans.rows === 0 && prepared.rollup.time.length === 0) {
      prepared.spans.release();
      return null;
    }
    return prepared;
  };
}

export function createExporter(deps: ExporterDeps): ExportFn {
  // Nothing after prepareSliced() refers to `req`: the decoded request (megabytes of objects for
  // JSON) must not stay reachable while the WAL syncs, or every scavenge in that time copies it.
  return (req, protocol, raw) => {
    const counts = new LlmCounts();
    const receivedNs = BigInt(Date.now()) * 1_000_000n;
    const bytes = raw.body.byteLength;
    try {
      const r = raw.reservation;
      if (r && !r.taken) {
        r.taken = true;
        deps.intake.adjustReservation(bytes - r.bytes);
      } else {
        deps.intake.reserveNow(bytes);
      }
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return prepareSliced(deps, req, receivedNs, counts, bytes).then(
      ({ prepared, summary }) => {
        let body = raw.body;
        if (deps.walCipher) {
          try {
            body = deps.walCipher.seal(raw.body);
          } catch (e) {
            prepared.spans.release();
            deps.intake.release(bytes);
            throw e;
          }
          deps.intake.adjustReservation(body.byteLength - bytes);
        }
        return submit(deps, { format: raw.format, receivedNs, body, prepared }, summary, counts, protocol);
      },
      (e: unknown) => {
        deps.intake.release(bytes);
        throw e;
      }
    );
  };
}

async function submit(
  deps: ExporterDeps,
  req: IntakeRequest,
  summary: NormalizeSummary,
  counts: LlmCounts,
  protocol: 'http' | 'grpc'
): Promise<ExportResult> {
  return acknowledge(deps.metrics, summary, counts, protocol, () => deps.intake.submit(req));
}

/**
 * Counts the request's rejected spans, waits for `store` (the acknowledgement point of either
 * intake), then counts it as accepted or, when refused, as overloaded (or storage_refused).
 */
export async function acknowledge(
  metrics: ServiceMetrics,
  summary: NormalizeSummary,
  counts: LlmCounts,
  protocol: 'http' | 'grpc',
  store: () => Promise<void>
): Promise<ExportResult> {
  for (const [reason, n] of Object.entries(summary.rejectedByReason)) {
    metrics.spansRejected.inc({ reason }, n);
  }
  try {
    await store();
  } catch (e) {
    metrics.spansRejected.inc({ reason: e instanceof StorageRefusedError ? 'storage_refused' : 'overloaded' }, summary.accepted);
    throw e;
  }
  metrics.spansAccepted.inc({ protocol }, summary.accepted);
  counts.record(metrics);
  return { rejectedSpans: summary.rejected, errorMessage: summary.errorMessage, acceptedSpans: summary.accepted };
}
