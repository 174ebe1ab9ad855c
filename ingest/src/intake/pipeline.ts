// The intake path: request -> normalized into DuckDB chunks -> WAL (raw body, fsync, then
// acknowledge) -> bounded queue -> DuckDB (asynchronously, in batches) -> CHECKPOINT -> WAL
// segments deleted.
//
// Crash safety: a request is acknowledged only once fsynced in the WAL. Every DuckDB apply
// records the highest WAL seq it contains in the same transaction, and DuckDB makes applies
// durable only at CHECKPOINT (its own WAL is off; see storage/duckdb.ts), after which the
// segments holding those seqs are deleted. Replay on start re-applies every record after the
// checkpointed seq, exactly once.
//
// Memory: queued spans are native DuckDB chunks (outside the V8 heap), or row objects for small
// requests; the queue is bounded in spans and in request bytes, and refused beyond that (429 +
// Retry-After) rather than grown.
//
// Failures: a failed apply is retried in smaller transactions. One that storage refuses for its
// data goes on alone, and a request refused alone twice is quarantined (quarantine.ts) so the
// requests behind it go through.
import path from 'node:path';
import { OverloadedError } from '../errors.js';
import { Mutex } from '../util/mutex.js';
import type { PreparedSpans } from '../storage/duckdb.js';
import type { SpanRow } from '../storage/types.js';
import { Wal, type BodyFormat, type WalEntry, type WalRecord } from '../wal/wal.js';
import { WalKeyError } from '../privacy/walCipher.js';
import { isDataError, Quarantine } from './quarantine.js';
import type { StorageHealth } from './types.js';

export interface IntakeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the intake needs of storage (DuckDbStorage). */
export interface IntakeStorage {
  appliedSeq(): Promise<bigint>;
  applyPrepared(batches: readonly PreparedSpans[], seq: bigint): Promise<void>;
  checkpoint(): Promise<void>;
  /** For WAL records of the previous format (normalized rows). */
  applyBatch(rows: readonly SpanRow[], seq: bigint): Promise<void>;
  /** Rows per storage row group: applies of whole row groups are cheaper (see applyQueued). */
  readonly rowGroupRows?: number;
}

/** A received request: its body as logged, and its spans ready for storage. */
export interface IntakeRequest {
  format: BodyFormat;
  receivedNs: bigint;
  body: Uint8Array;
  prepared: PreparedSpans;
}

/** Decodes and normalizes a logged request again (WAL replay); null when it has no spans. */
export type PrepareLogged = (r: { format: BodyFormat; receivedNs: bigint; body: Uint8Array }) => PreparedSpans | null;

export interface IntakeOptions {
  storage: IntakeStorage;
  walDir: string;
  /** Spans acknowledged but not yet applied to DuckDB; beyond it submit() refuses (429). */
  queueMaxSpans: number;
  /**
   * The same bound in request body bytes (default 16 MiB). Memory follows it: a queued request
   * holds its normalized spans natively (~1.5x its protobuf size) until applied; a request under
   * HOLD_BODY_BYTES of at most HOLD_ROWS spans as row objects (storage/spanChunks.ts), since a
   * chunk of its own would cost ~160 KB however small the request.
   */
  queueMaxBytes?: number;
  commitIntervalMs: number;
  log: IntakeLogger;
  /** Rebuilds the spans of a logged request for replay. */
  prepare: PrepareLogged;
  /** Seal + checkpoint once this many WAL bytes were written since the last checkpoint... */
  checkpointBytes?: number;
  /** ...or this often (ms) when there are records. */
  checkpointIntervalMs?: number;
  /** Most spans per DuckDB transaction. */
  maxRowsPerApply?: number;
  onWalFlush?: (bytes: number, seconds: number) => void;
  onApply?: (spans: number, seconds: number) => void;
  onCheckpoint?: (seconds: number) => void;
  /** A failed apply run: the step that failed (`apply` or `checkpoint`). */
  onApplyError?: (step: 'apply' | 'checkpoint') => void;
  /** Where refused requests go (default: `quarantine` beside the WAL directory). */
  quarantineDir?: string;
  /** A request was quarantined, with this many spans. */
  onQuarantine?: (spans: number) => void;
}

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Queued extends WalEntry {
  prepared: PreparedSpans;
  spans: number;
  bytes: number;
}

export class Intake {
  private queue: Queued[] = [];
  /** Spans in `queue` (durable, waiting for DuckDB). */
  private queuedSpans = 0;
  /** Request bytes in `queue`. */
  private queuedBytes = 0;
  private readonly waiters: Waiter[] = [];
  private readonly applyLock = new Mutex();
  /** Spans (and body bytes) in the WAL path or queued for DuckDB: what the queue limits bound. */
  private inflight = 0;
  private inflightBytes = 0;
  private appliedSeq = 0n;
  private applyTimer: NodeJS.Timeout | null = null;
  private applying: Promise<void> | null = null;
  private lastApplyAt = Date.now();
  private lastCheckpointAt = Date.now();
  private closing = false;
  private failures = 0;
  private lastError: string | null = null;
  /** Halvings of the transaction size after failed applies (see applyQueued). */
  private shrink = 0;
  /** One request per transaction: a data error failed a larger one (see applyRun). */
  private isolate = false;
  /** The requests of the transaction that just failed (empty when something else failed). */
  private refusedBatch: readonly Queued[] = [];
  /** The request that failed alone, and how often in a row. */
  private refused: { seq: bigint; times: number } | null = null;
  /** Requests applied or quarantined so far: flush() runs again while this moves. */
  private progress = 0;
  /** The last apply run applied everything it took and checkpointed when due. */
  private lastRunClean = true;
  private readonly quarantine: Quarantine;
  private readonly checkpointBytes: number;
  private readonly checkpointIntervalMs: number;
  private readonly maxRowsPerApply: number;
  private readonly queueMaxBytes: number;

  private constructor(
    private readonly opts: IntakeOptions,
    private readonly wal: Wal<Queued>
  ) {
    // A checkpoint costs DuckDB ~30 ms of CPU beyond the rows it writes (rollup row groups are
    // rewritten, the index saved): every 32 MiB of WAL (~16k spans) rather than 16 MiB saves
    // ~2 us per span (bench/ingest-apply.bench.ts). The data itself is already in the file
    // (DuckDB writes full row groups during the insert), so the fsync stays modest: p99 ack
    // latency at half rate stayed at 40-80 ms (64 MiB: 120-380 ms).
    this.checkpointBytes = opts.checkpointBytes ?? 32 * 1024 * 1024;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 10_000;
    this.maxRowsPerApply = opts.maxRowsPerApply ?? 50_000;
    this.queueMaxBytes = opts.queueMaxBytes ?? 16 * 1024 * 1024;
    this.quarantine = new Quarantine(opts.quarantineDir ?? path.join(path.dirname(path.resolve(opts.walDir)), 'quarantine'));
  }

  /** Opens the WAL, replays what DuckDB lacks, checkpoints, and starts a fresh segment. */
  static async start(opts: IntakeOptions): Promise<Intake> {
    let intake: Intake | null = null;
    const wal = await Wal.open<Queued>({
      dir: opts.walDir,
      onCommitted: (entries) => intake?.committed(entries),
      onFlush: opts.onWalFlush,
    });
    intake = new Intake(opts, wal);
    await intake.replay();
    return intake;
  }

  private async replay(): Promise<void> {
    const t0 = Date.now();
    this.appliedSeq = await this.opts.storage.appliedSeq();
    let maxSeq = this.appliedSeq;
    let records = 0;
    let replayedSpans = 0;
    let tornBytes = 0;
    let batch: Array<{ record: Extract<WalRecord, { kind: 'request' }>; prepared: PreparedSpans }> = [];
    let batchSeq = 0n;
    let batchRows = 0;
    const flush = async () => {
      if (batch.length > 0) {
        try {
          replayedSpans += await this.replayBatch(batch, batchSeq);
        } finally {
          for (const b of batch) {
            b.prepared.spans.release();
          }
        }
        batch = [];
        batchRows = 0;
      }
    };
    for await (const seg of this.wal.readExisting()) {
      tornBytes += seg.tornBytes;
      for (const r of seg.records as WalRecord[]) {
        records++;
        if (r.seq > maxSeq) {
          maxSeq = r.seq;
        }
        if (r.seq <= this.appliedSeq) {
          continue;
        }
        if (r.kind === 'rows') {
          await flush();
          await this.opts.storage.applyBatch(r.rows, r.seq);
          replayedSpans += r.rows.length;
          continue;
        }
        let prepared: PreparedSpans | null = null;
        try {
          prepared = this.opts.prepare(r);
        } catch (e) {
          if (e instanceof WalKeyError) {
            // A configuration problem, not the record's: start only once the key is right. The
            // WAL is kept (nothing after the last applied record was deleted).
            for (const b of batch) {
              b.prepared.spans.release();
            }
            throw new Error(`cannot replay WAL record ${r.seq}: ${e.message}`);
          }
          // It decoded when it was acknowledged, so this is a bug: keep the record, as logged.
          await this.putInQuarantine(r, 0, `replay could not decode it: ${(e as Error).message}`);
        }
        // A record without spans still advances the applied seq (with the next apply).
        batchSeq = r.seq;
        if (prepared) {
          batch.push({ record: r, prepared });
          batchRows += prepared.spans.rows;
        }
        if (batchRows >= this.maxRowsPerApply) {
          await flush();
        }
      }
    }
    await flush();
    // Every record up to maxSeq is now in DuckDB or quarantined. Storage records maxSeq before
    // the segments go, or a trailing quarantined record's seq would be handed out again.
    if (maxSeq > (await this.opts.storage.appliedSeq())) {
      await this.opts.storage.applyPrepared([], maxSeq);
    }
    this.appliedSeq = maxSeq;
    await this.opts.storage.checkpoint();
    await this.wal.deleteSealedUpTo(maxSeq);
    await this.wal.start(maxSeq);
    this.lastCheckpointAt = Date.now();
    if (records > 0 || tornBytes > 0) {
      this.opts.log.info({ walRecords: records, replayedSpans, tornBytes, ms: Date.now() - t0 }, 'wal replayed');
    }
  }

  /**
   * Applies replayed records in one transaction; when storage refuses it for its data, one
   * record at a time, quarantining those refused alone. Returns the spans applied.
   */
  private async replayBatch(batch: ReadonlyArray<{ record: Extract<WalRecord, { kind: 'request' }>; prepared: PreparedSpans }>, seq: bigint): Promise<number> {
    try {
      await this.opts.storage.applyPrepared(
        batch.map((b) => b.prepared),
        seq
      );
      return batch.reduce((n, b) => n + b.prepared.spans.rows, 0);
    } catch (e) {
      if (!isDataError((e as Error).message)) {
        throw e;
      }
    }
    let applied = 0;
    for (const { record, prepared } of batch) {
      let error = '';
      for (let attempt = 0; attempt < QUARANTINE_AFTER; attempt++) {
        try {
          await this.opts.storage.applyPrepared([prepared], record.seq);
          error = '';
          break;
        } catch (e) {
          error = (e as Error).message;
          if (!isDataError(error)) {
            throw e;
          }
        }
      }
      if (error === '') {
        applied += prepared.spans.rows;
      } else {
        await this.putInQuarantine(record, prepared.spans.rows, error);
      }
    }
    return applied;
  }

  private async putInQuarantine(r: { seq: bigint; format: BodyFormat; receivedNs: bigint; body: Uint8Array }, spans: number, error: string): Promise<void> {
    const q = await this.quarantine.put({ seq: r.seq, format: r.format, receivedNs: r.receivedNs, body: r.body, spans, error });
    this.opts.onQuarantine?.(spans);
    this.opts.log.error(
      { seq: q.seq, spans, err: q.error, file: path.join(this.quarantine.dir, q.bodyFile) },
      'storage refuses this acknowledged request on its own: quarantined it so the requests after it go through'
    );
  }

  /**
   * Quarantines a queued request that failed alone QUARANTINE_AFTER times in a row with a data
   * error. Its body is read back from the WAL (the queue holds only its spans). Kept queued when
   * that fails: losing it is worse than waiting.
   */
  private async quarantineQueued(q: Queued, error: string): Promise<void> {
    try {
      const r = await this.wal.readRecord(q.seq!);
      if (r?.kind !== 'request') {
        throw new Error(`WAL record ${q.seq} not found`);
      }
      await this.putInQuarantine(r, q.spans, error);
    } catch (e) {
      this.opts.log.error({ seq: String(q.seq), err: (e as Error).message }, 'could not quarantine a refused request; it stays queued');
      return;
    }
    const i = this.queue.indexOf(q);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.queuedSpans -= q.spans;
      this.queuedBytes -= q.bytes;
      this.inflight -= q.spans;
      this.inflightBytes -= q.bytes;
      q.prepared.spans.release();
      this.progress++;
    }
    this.refused = null;
    this.failures = 0;
    this.wake();
  }

  storageHealth(): StorageHealth {
    const lastError = this.failures > 0 ? this.lastError : null;
    return { failures: this.failures, lastError, fatal: lastError !== null && /database has been invalidated/i.test(lastError) };
  }

  /** Spans acknowledged (or being made durable) and not yet in DuckDB. */
  get queueDepth(): number {
    return this.inflight;
  }

  get walSizeBytes(): Promise<number> {
    return this.wal.sizeBytes();
  }

  private full(bytes: number): boolean {
    // An oversized request still goes through an empty queue, or it could never pass.
    return (
      (this.inflight > 0 || this.inflightBytes > 0) &&
      (this.inflight >= this.opts.queueMaxSpans || this.inflightBytes + bytes > this.queueMaxBytes)
    );
  }

  private overloaded(): OverloadedError {
    return new OverloadedError(
      `intake queue full (${this.inflight} spans, ${Math.round(this.inflightBytes / 1048576)} MiB waiting for storage)`,
      { status: 429, retryAfterSeconds: 1 }
    );
  }

  /**
   * Reserves room for a request of `bytes` before it is read and normalized. When the queue is
   * full it waits up to `waitMs` for room (the OTLP/HTTP receiver has not read the body yet, so
   * a waiting client is held back by TCP and costs no memory), then throws OverloadedError
   * (429). Waiters are served in arrival order. The reservation belongs to the caller until
   * submit(); release() it if the request fails before.
   */
  reserve(bytes: number, waitMs = 0): Promise<void> {
    if (this.closing) {
      return Promise.reject(new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 }));
    }
    if (this.waiters.length === 0 && !this.full(bytes)) {
      this.inflightBytes += bytes;
      return Promise.resolve();
    }
    if (waitMs <= 0) {
      return Promise.reject(this.overloaded());
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          reject(this.overloaded());
          this.wake();
        }, waitMs),
      };
      this.waiters.push(w);
      // A client waits for room: apply what is queued now rather than at the commit interval.
      this.applySooner();
    });
  }

  /** reserve() without waiting, for callers that cannot wait: throws OverloadedError when full. */
  reserveNow(bytes: number): void {
    if (this.closing) {
      throw new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 });
    }
    if (this.waiters.length > 0 || this.full(bytes)) {
      throw this.overloaded();
    }
    this.inflightBytes += bytes;
  }

  /** Corrects a reservation to the body's real size (a compressed body grows when inflated). */
  adjustReservation(delta: number): void {
    this.inflightBytes += delta;
    if (delta < 0) {
      this.wake();
    }
  }

  /** Gives back a reservation that will not be submitted. */
  release(bytes: number): void {
    this.inflightBytes -= bytes;
    this.wake();
  }

  /** Lets waiting reservations in, oldest first, while they fit. */
  private wake(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.closing) {
        this.waiters.shift();
        clearTimeout(w.timer);
        w.reject(new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 }));
        continue;
      }
      if (this.full(w.bytes)) {
        return;
      }
      this.waiters.shift();
      clearTimeout(w.timer);
      this.inflightBytes += w.bytes;
      w.resolve();
    }
  }

  /**
   * Makes the request durable (WAL + fsync) and queues its spans for DuckDB. Resolves only when
   * it is on disk. Takes ownership of req.prepared (released on failure too) and of the
   * reservation of req.body's bytes (see reserve()). Throws OverloadedError when the span
   * bound is exceeded or the service is stopping.
   */
  async submit(req: IntakeRequest): Promise<void> {
    const spans = req.prepared.spans.rows;
    const bytes = req.body.byteLength;
    // A request whose traces were all sampled out still carries rollup counts: it is logged too.
    const empty = spans === 0 && req.prepared.rollup.time.length === 0;
    if (empty || this.closing) {
      req.prepared.spans.release();
      this.release(bytes);
      if (empty) {
        return;
      }
      throw new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 });
    }
    if (this.inflight > 0 && this.inflight + spans > this.opts.queueMaxSpans) {
      req.prepared.spans.release();
      this.release(bytes);
      throw this.overloaded();
    }
    this.inflight += spans;
    const entry: Queued = { format: req.format, receivedNs: req.receivedNs, body: req.body, prepared: req.prepared, spans, bytes };
    try {
      await this.wal.append(entry);
    } catch (e) {
      this.inflight -= spans;
      req.prepared.spans.release();
      this.release(bytes);
      throw new OverloadedError(`write-ahead log write failed: ${(e as Error).message}`, {
        status: 503,
        retryAfterSeconds: 1,
      });
    }
  }

  /** WAL callback, in seq order: queue for DuckDB. */
  private committed(entries: Queued[]): void {
    for (const e of entries) {
      // The body is on disk now; the queue only needs the prepared spans.
      e.body = EMPTY;
      this.queue.push(e);
      this.queuedSpans += e.spans;
      this.queuedBytes += e.bytes;
    }
    this.applySooner();
    this.scheduleApply();
  }

  /**
   * Replaces a pending apply timer by an immediate one when there is a backlog (not during a
   * retry back-off: storage that is failing is not asked again sooner).
   */
  private applySooner(): void {
    if (this.applyTimer && this.failures === 0 && this.backlog()) {
      clearTimeout(this.applyTimer);
      this.applyTimer = null;
      this.scheduleApply();
    }
  }

  /**
   * Enough is queued for a full transaction, or clients wait for room: apply without waiting
   * for the commit interval. By bytes too: with large spans (LLM prompts) the byte bound fills
   * the queue before APPLY_NOW_SPANS spans, and DuckDB then idled out the interval while
   * clients waited (measured: ~10% of the throughput at 2 KB per span).
   */
  private backlog(): boolean {
    return this.queuedSpans >= APPLY_NOW_SPANS || this.queuedBytes >= this.queueMaxBytes / 4 || this.waiters.length > 0;
  }

  /** Wait before retrying after `failures` failed runs in a row: 0.4 s, doubling, up to 30 s. */
  private backoffMs(): number {
    return Math.min(30_000, 200 * 2 ** this.failures);
  }

  private scheduleApply(): void {
    if (this.applyTimer || this.applying) {
      return;
    }
    // The interval spaces out small applies; a backlog of a few row groups goes at once, so
    // DuckDB never idles while spans wait.
    // After failed runs: the retry back-off, whoever asks (a flush, a waiting client).
    const wait = this.failures > 0 ? this.backoffMs() : this.backlog() ? 0 : Math.max(0, this.lastApplyAt + this.opts.commitIntervalMs - Date.now());
    this.applyTimer = setTimeout(() => {
      this.applyTimer = null;
      this.applying = this.applyNow(true).finally(() => {
        this.applying = null;
        if (this.queue.length > 0 && !this.closing) {
          this.scheduleApply();
        }
      });
    }, wait);
  }

  /**
   * Applies the requests queued now (oldest first, up to maxRowsPerApply spans per transaction).
   * Requests queued meanwhile wait for the next run, so a steady stream never keeps the
   * checkpoint from its turn.
   */
  private async applyQueued(keepTail = false): Promise<void> {
    let left = this.queue.length;
    // At most half the queue's byte budget per transaction: the other half keeps admitting
    // (and normalizing) requests while DuckDB works, so neither side waits for the other.
    // After failed applies, transactions shrink (down to one request): a failure that depends
    // on the size of the transaction (DuckDB out of memory under a tight memory_limit) must not
    // retry the same batch forever while the full queue refuses every client.
    const maxBytes = Math.max(1, (this.queueMaxBytes / 2) >> this.shrink);
    const maxRows = this.maxRowsNow();
    const group = this.opts.storage.rowGroupRows ?? 0;
    let first = true;
    while (left > 0) {
      let n = 0;
      let b = 0;
      let k = 0;
      // The longest prefix that fills whole row groups (n % group === 0), if any.
      let whole = 0;
      while (k < left && (k === 0 || (!this.isolate && n + this.queue[k]!.spans <= maxRows && b + this.queue[k]!.bytes <= maxBytes))) {
        n += this.queue[k]!.spans;
        b += this.queue[k]!.bytes;
        k++;
        if (group > 0 && n % group === 0) {
          whole = k;
        }
      }
      // DuckDB writes each full row group of an insert once, compressed; a partly filled last
      // one is written too and then rewritten, merged with its neighbours, by the next
      // checkpoint. So an apply takes whole row groups when it can, and a run leaves a ragged
      // tail to the next run (it joins the requests arriving meanwhile) once it applied
      // something. Measured (bench/ingest-apply.bench.ts): applies of 4608 spans cost ~14 us
      // per span more at checkpoints than applies of 4096.
      if (keepTail && !this.isolate && group > 0 && whole < k) {
        if (whole > 0) {
          k = whole;
          n = 0;
          b = 0;
          for (let j = 0; j < k; j++) {
            n += this.queue[j]!.spans;
            b += this.queue[j]!.bytes;
          }
        } else if (!first) {
          break;
        }
      }
      first = false;
      const batch = this.queue.slice(0, k);
      const seq = batch[batch.length - 1]!.seq!;
      const t0 = process.hrtime.bigint();
      try {
        await this.opts.storage.applyPrepared(
          batch.map((q) => q.prepared),
          seq
        );
      } catch (e) {
        this.refusedBatch = batch;
        throw e;
      }
      this.opts.onApply?.(n, Number(process.hrtime.bigint() - t0) / 1e9);
      this.queue.splice(0, k);
      this.queuedSpans -= n;
      left -= k;
      let bytes = 0;
      for (const q of batch) {
        q.prepared.spans.release();
        bytes += q.bytes;
      }
      this.queuedBytes -= bytes;
      this.inflight -= n;
      this.inflightBytes -= bytes;
      this.appliedSeq = seq;
      this.failures = 0;
      this.progress += k;
      this.wake();
    }
  }

  /**
   * Applies and checkpoints, one run at a time (a timer run and a flush() run never overlap).
   * `keepTail`: a timer run may leave a ragged tail for the next run (see applyQueued).
   */
  private applyNow(keepTail = false): Promise<void> {
    return this.applyLock.run(() => this.applyRun(keepTail));
  }

  /** Most spans per transaction now (smaller after failed applies; see applyQueued). */
  private maxRowsNow(): number {
    return Math.max(1, this.maxRowsPerApply >> this.shrink);
  }

  private async applyRun(keepTail: boolean): Promise<void> {
    let step: 'apply' | 'checkpoint' = 'apply';
    try {
      await this.applyQueued(keepTail);
      step = 'checkpoint';
      await this.maybeCheckpoint(false);
      this.shrink = Math.max(0, this.shrink - 1);
      this.isolate = false;
      this.refused = null;
      this.lastRunClean = true;
    } catch (e) {
      this.lastRunClean = false;
      const failed = this.refusedBatch;
      this.refusedBatch = [];
      // The checkpoint step applies what arrived meanwhile first: an insert failing there is an apply.
      step = failed.length > 0 ? 'apply' : step;
      this.failures++;
      this.lastError = (e as Error).message;
      this.opts.onApplyError?.(step);
      this.shrink = Math.min(MAX_SHRINK, this.shrink + 1);
      this.opts.log.error(
        { err: this.lastError, step, failures: this.failures, maxSpansPerApply: this.isolate ? 'one request' : this.maxRowsNow() },
        'applying spans to storage failed; will retry in smaller transactions'
      );
      // A data error does not go away in smaller transactions of the same requests: find the
      // request storage refuses (one per transaction), then move it out of the way.
      if (failed.length > 0 && isDataError(this.lastError)) {
        const only = failed.length === 1 ? failed[0]! : null;
        if (only === null) {
          this.isolate = true;
        } else {
          const prev = this.refused;
          const times = prev !== null && prev.seq === only.seq ? prev.times + 1 : 1;
          this.refused = { seq: only.seq!, times };
          if (times >= QUARANTINE_AFTER) {
            await this.quarantineQueued(only, this.lastError);
          }
        }
      }
      // No checkpoint here: one right after a commit that failed for memory corrupted DuckDB's
      // trace-id index (1.5.6: "Corrupted ART index", at every later start). The next run's
      // smaller transactions are followed by the usual checkpoint once they pass.
    } finally {
      this.lastApplyAt = Date.now();
    }
  }

  private async maybeCheckpoint(force: boolean): Promise<void> {
    const size = this.wal.currentSize;
    const due =
      force ||
      this.wal.sealedCount > 0 ||
      size >= this.checkpointBytes ||
      (size > 0 && Date.now() - this.lastCheckpointAt >= this.checkpointIntervalMs);
    if (!due) {
      return;
    }
    await this.wal.rotate();
    // Records committed just before the rotation are already queued (the WAL calls back synchronously).
    await this.applyQueued();
    const t0 = process.hrtime.bigint();
    await this.opts.storage.checkpoint();
    this.opts.onCheckpoint?.(Number(process.hrtime.bigint() - t0) / 1e9);
    await this.wal.deleteSealedUpTo(this.appliedSeq);
    this.lastCheckpointAt = Date.now();
  }

  /** Applies everything acknowledged so far to storage (tests, shutdown). */
  async flush(): Promise<void> {
    await this.wal.drain();
    if (this.applyTimer) {
      clearTimeout(this.applyTimer);
      this.applyTimer = null;
    }
    while (this.applying) {
      await this.applying;
    }
    // Runs again while runs make progress but leave requests behind (after a failure, requests
    // go one at a time and a refused one is quarantined), so "flushed" means everything queued
    // before the call is in storage. Bounded by what was queued then (the queue is in seq order).
    const goal = this.queue.length > 0 ? this.queue[this.queue.length - 1]!.seq! : 0n;
    try {
      while (this.queue.length > 0 && this.queue[0]!.seq! <= goal) {
        const before = this.progress;
        this.applying = this.applyNow();
        try {
          await this.applying;
        } finally {
          this.applying = null;
        }
        if (this.lastRunClean) {
          break;
        }
        if (this.progress === before) {
          throw new Error('could not apply all queued spans to storage');
        }
      }
    } finally {
      // Requests that arrived during the runs (their scheduleApply saw a run in progress).
      if (this.queue.length > 0 && !this.closing) {
        this.scheduleApply();
      }
    }
  }

  /** Stops intake (503 from now on), applies and checkpoints everything, closes the WAL. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    let checkpointed = false;
    try {
      await this.flush();
      await this.applyLock.run(() => this.maybeCheckpoint(true));
      checkpointed = true;
    } finally {
      if (this.applyTimer) {
        clearTimeout(this.applyTimer);
        this.applyTimer = null;
      }
      await this.wal.close();
      if (checkpointed && this.queue.length === 0) {
        // Everything is in DuckDB and checkpointed: the remaining segments are redundant. Not
        // after a failed checkpoint: applied rows are durable only from a checkpoint on.
        await this.wal.deleteSealedUpTo(this.appliedSeq);
      } else {
        for (const q of this.queue.splice(0)) {
          q.prepared.spans.release();
        }
      }
    }
  }
}

const EMPTY = new Uint8Array(0);
/** Queued spans that are applied without waiting for the commit interval. */
const APPLY_NOW_SPANS = 8192;
/** Smallest transactions after repeated failures: 1/1024 of the normal size (one request at least). */
const MAX_SHRINK = 10;
/** A request refused alone this many times in a row (with a data error) is quarantined. */
const QUARANTINE_AFTER = 2;
