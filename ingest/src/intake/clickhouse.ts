// The intake path on ClickHouse: no local WAL; a request is acknowledged only after ClickHouse
// confirmed the insert holding its spans.
//
// - Batching: requests that arrive while an insert is in flight (or within `lingerMs`) go into
//   the next insert together, so many small exports make few ClickHouse parts.
// - Idempotent retries: each insert carries an insert_deduplication_token derived from the
//   content of its requests (order-independent), and a failed insert is retried with the same
//   rows and token, so an insert that did land before its connection failed is not stored twice.
//   A client's retry of a request that was its own insert gets the same token too.
// - Sampling (sampling/): sampled-out spans of a batch go into a second insert, into
//   spans_counted (ENGINE = Null, feeding the rollup views only), with its own token derived
//   from the batch's; a retry repeats both inserts and each is deduplicated on its own.
// - Backpressure: when an insert keeps failing for `retryForMs`, its requests fail with
//   OverloadedError 503 + Retry-After (OTLP/gRPC UNAVAILABLE) and the intake is "down": new
//   requests are refused at once until a probe (SELECT 1) succeeds again. The queue is bounded in
//   bytes and spans; beyond it requests wait briefly, then get 503 too.
// - Refused data: when ClickHouse refuses a batch for a value in it (a parse or range error),
//   retrying cannot help and the batch's other requests must not pay for it: each request is
//   inserted alone, and only the one refused alone gets 400 (gRPC INVALID_ARGUMENT).
import { OverloadedError, StorageRefusedError } from '../errors.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import { type Limits, type Pricer, type RowRedactor } from '../normalize/index.js';
import type { Sampler } from '../sampling/index.js';
import { countedToken, dedupToken, rowsDigest } from '../storage/clickhouse/storage.js';
import { copyRow, type SpanRow } from '../storage/types.js';
import { acknowledge, LlmCounts, normalizeAny, type ExportFn } from './exporter.js';
import type { IntakeLogger } from './pipeline.js';
import type { SpanIntake } from './types.js';

/** What the intake needs of the storage (ClickHouseStorage). */
export interface ClickHouseSink {
  insertSpans(rows: ReadonlyArray<Readonly<SpanRow>>, token: string): Promise<void>;
  /** Sampled-out spans: into the rollups only (spans_counted). */
  insertCounted(rows: ReadonlyArray<Readonly<SpanRow>>, token: string): Promise<void>;
  /** Cheap round trip used to notice that ClickHouse is back. */
  ping(): Promise<void>;
}

export interface ClickHouseIntakeOptions {
  sink: ClickHouseSink;
  log: IntakeLogger;
  queueMaxSpans: number;
  queueMaxBytes: number;
  /** How long a batch waits for more requests when no insert is in flight. */
  lingerMs?: number;
  /** Most spans per insert. */
  maxBatchSpans?: number;
  /** How long one batch is retried before its requests get 503. */
  retryForMs?: number;
  /** Retry-After given to clients while ClickHouse is unreachable. */
  retryAfterSeconds?: number;
  onInsert?: (spans: number, seconds: number) => void;
  /** A request's spans were refused by ClickHouse for their data (answered 400). */
  onRefused?: (spans: number) => void;
}

interface Pending {
  rows: SpanRow[];
  /** Sampled out: counted in the rollups, not stored. */
  counted: SpanRow[];
  digest: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Batch {
  requests: Pending[];
  spans: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** ClickHouse errors about a value in the inserted rows (its parse, type and range errors). */
const DATA_ERROR = /cannot parse|type.?mismatch|out of range|cannot convert|incorrect.?data|cannot insert null|too.?large.?string|argument.?out.?of.?bound/i;

/** True when ClickHouse refused the insert for its data: the same rows fail the same way. */
export function isClickHouseDataError(message: string): boolean {
  return DATA_ERROR.test(message);
}
/** For the background probe: must not keep an idle process alive. */
const idleSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class ClickHouseIntake implements SpanIntake {
  private next: Batch = { requests: [], spans: 0 };
  private inFlight: Promise<void> | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private reservedBytes = 0;
  private queuedSpans = 0;
  private down = false;
  private probing: Promise<void> | null = null;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly o: ClickHouseIntakeOptions) {}

  get queueDepth(): number {
    return this.queuedSpans;
  }
  get walSizeBytes(): Promise<number> {
    return Promise.resolve(0);
  }
  /** True while ClickHouse is considered unreachable (requests get 503 at once). */
  get unavailable(): boolean {
    return this.down;
  }

  private unavailableError(msg = 'ClickHouse is unavailable'): OverloadedError {
    return new OverloadedError(msg, { status: 503, retryAfterSeconds: this.o.retryAfterSeconds ?? 2 });
  }

  private admitCheck(bytes: number): void {
    if (this.closed) {
      throw new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 });
    }
    if (this.down) {
      this.probe();
      throw this.unavailableError();
    }
    if (this.reservedBytes > 0 && this.reservedBytes + bytes > this.o.queueMaxBytes) {
      throw this.unavailableError('ClickHouse is not keeping up: intake queue full');
    }
  }

  async reserve(bytes: number, waitMs = 0): Promise<void> {
    const until = Date.now() + waitMs;
    for (;;) {
      try {
        this.admitCheck(bytes);
        this.reservedBytes += bytes;
        return;
      } catch (e) {
        // Only a full queue is worth waiting for; down or closing answers at once.
        if (this.down || this.closed || Date.now() + 10 > until) {
          throw e;
        }
        await sleep(10);
      }
    }
  }

  release(bytes: number): void {
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes);
  }

  /**
   * Queues the rows of one request (`counted`: its sampled-out rows); resolves once ClickHouse
   * confirmed the inserts holding them.
   */
  submit(rows: SpanRow[], counted: SpanRow[] = []): Promise<void> {
    const n = rows.length + counted.length;
    if (this.closed) {
      return Promise.reject(new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 }));
    }
    if (this.down) {
      this.probe();
      return Promise.reject(this.unavailableError());
    }
    if (this.queuedSpans > 0 && this.queuedSpans + n > this.o.queueMaxSpans) {
      return Promise.reject(this.unavailableError('ClickHouse is not keeping up: intake queue full'));
    }
    if (n === 0) {
      return Promise.resolve();
    }
    // Without sampling the digest is the one of the rows alone (tokens unchanged from before).
    const digest = counted.length === 0 ? rowsDigest(rows) : dedupToken([`kept:${rowsDigest(rows)}`, `counted:${rowsDigest(counted)}`]);
    return new Promise<void>((resolve, reject) => {
      this.next.requests.push({ rows, counted, digest, resolve, reject });
      this.next.spans += n;
      this.queuedSpans += n;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight) {
      return; // the in-flight insert starts the next batch when it ends
    }
    if (this.next.spans >= (this.o.maxBatchSpans ?? 100_000)) {
      this.startInsert();
      return;
    }
    if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.startInsert();
      }, this.o.lingerMs ?? 5);
    }
  }

  private startInsert(): void {
    if (this.inFlight || this.next.requests.length === 0) {
      return;
    }
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    const batch = this.next;
    this.next = { requests: [], spans: 0 };
    this.inFlight = this.insert(batch).finally(() => {
      this.inFlight = null;
      this.queuedSpans -= batch.spans;
      if (this.next.requests.length > 0) {
        this.startInsert();
      } else {
        for (const f of this.idle) {
          f();
        }
        this.idle.clear();
      }
    });
  }

  private async insert(batch: Batch): Promise<void> {
    const rows = batch.requests.length === 1 ? batch.requests[0]!.rows : batch.requests.flatMap((r) => r.rows);
    const counted = batch.requests.length === 1 ? batch.requests[0]!.counted : batch.requests.flatMap((r) => r.counted);
    const token = dedupToken(batch.requests.map((r) => r.digest));
    const deadline = Date.now() + (this.o.retryForMs ?? 5_000);
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        // One after the other: chdb applies settings (the token) per session, not per statement.
        // Each insert is idempotent on its own, so a retry after either failed repeats both.
        if (rows.length > 0) {
          await this.o.sink.insertSpans(rows, token);
        }
        if (counted.length > 0) {
          await this.o.sink.insertCounted(counted, countedToken(token));
        }
        this.o.onInsert?.(batch.spans, (performance.now() - t0) / 1000);
        for (const r of batch.requests) {
          r.resolve();
        }
        return;
      } catch (e) {
        const msg = (e as Error).message;
        if (isClickHouseDataError(msg)) {
          await this.refused(batch, msg);
          return;
        }
        if (Date.now() + delay > deadline || this.closed) {
          this.o.log.error({ err: msg, attempts: attempt, spans: batch.spans }, 'ClickHouse insert failed; answering 503 until it is back');
          this.markDown();
          const err = this.unavailableError(`ClickHouse insert failed: ${msg}`);
          for (const r of batch.requests) {
            r.reject(err);
          }
          return;
        }
        this.o.log.warn({ err: msg, attempt, spans: batch.spans }, 'ClickHouse insert failed; retrying with the same deduplication token');
        await sleep(delay);
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  /** A batch ClickHouse refused for its data: each request alone; 400 for those refused alone. */
  private async refused(batch: Batch, msg: string): Promise<void> {
    if (batch.requests.length > 1) {
      for (const r of batch.requests) {
        await this.insert({ requests: [r], spans: r.rows.length + r.counted.length });
      }
      return;
    }
    this.o.log.warn({ err: msg, spans: batch.spans }, 'ClickHouse refused the spans of a request; answering 400');
    this.o.onRefused?.(batch.spans);
    const err = new StorageRefusedError(`storage refused the spans of this request: ${msg.slice(0, 500)}`);
    for (const r of batch.requests) {
      r.reject(err);
    }
  }

  private markDown(): void {
    if (!this.down) {
      this.down = true;
      // Queued requests would meet the same fate: fail them now so clients back off.
      const queued = this.next.requests;
      this.next = { requests: [], spans: 0 };
      for (const r of queued) {
        this.queuedSpans -= r.rows.length + r.counted.length;
        r.reject(this.unavailableError());
      }
    }
    this.probe();
  }

  /** Pings ClickHouse until it answers, then accepts requests again. */
  private probe(): void {
    if (this.probing || this.closed) {
      return;
    }
    this.probing = (async () => {
      while (this.down && !this.closed) {
        try {
          await this.o.sink.ping();
          this.down = false;
          this.o.log.info({}, 'ClickHouse reachable again; accepting spans');
        } catch {
          await idleSleep(500);
        }
      }
    })().finally(() => {
      this.probing = null;
    });
  }

  async flush(): Promise<void> {
    if (this.lingerTimer) {
      this.startInsert();
    }
    while (this.inFlight || this.next.requests.length > 0) {
      await new Promise<void>((r) => this.idle.add(r));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.probing;
  }
}

export interface ClickHouseExporterDeps {
  intake: ClickHouseIntake;
  metrics: ServiceMetrics;
  pricer: Pricer | null;
  limits?: Limits;
  redactor?: RowRedactor | null;
  /** Trace sampling: sampled-out spans feed the rollups and metrics only, as on DuckDB. */
  sampler?: Sampler | null;
}

/** One OTLP export on ClickHouse: normalize, insert (batched with concurrent requests), then acknowledge. */
export function createClickHouseExporter(deps: ClickHouseExporterDeps): ExportFn {
  return async (req, protocol) => {
    const rows: SpanRow[] = [];
    const counts = new LlmCounts();
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    // The sink may see one reused row object: keep copies.
    const summary = normalizeAny(req, { pricer: deps.pricer, limits: deps.limits, redactor: deps.redactor, nowNs }, (r) => {
      rows.push(copyRow(r));
      counts.add(r);
    });
    let kept = rows;
    const counted: SpanRow[] = [];
    if (deps.sampler?.active) {
      // Whole traces of the request, decided together (the same split on a client's retry).
      kept = [];
      deps.sampler.route(rows, { keep: (r) => kept.push(r), drop: (r) => counted.push(r) });
    }
    return acknowledge(deps.metrics, summary, counts, protocol, () => deps.intake.submit(kept, counted));
  };
}
