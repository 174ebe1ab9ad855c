// The intake path: normalized rows -> WAL (fsync, then acknowledge) -> bounded queue ->
// DuckDB (asynchronously, in batches) -> CHECKPOINT -> WAL segments deleted.
//
// Crash safety: a batch is acknowledged only once fsynced in the WAL. Every DuckDB apply
// records the highest WAL seq it contains in the same transaction, so replay on start skips
// what DuckDB already has and re-applies the rest exactly once.
import { OverloadedError } from '../errors.js';
import type { Storage } from '../storage/types.js';
import type { SpanRow } from '../storage/types.js';
import { Wal, type WalRecord } from '../wal/wal.js';

export interface IntakeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface IntakeOptions {
  storage: Storage;
  walDir: string;
  queueMaxSpans: number;
  commitIntervalMs: number;
  log: IntakeLogger;
  /** Seal + checkpoint once the live WAL segment is this big... */
  checkpointBytes?: number;
  /** ...or this old (ms) with records in it. */
  checkpointIntervalMs?: number;
  /** Most rows per DuckDB transaction. */
  maxRowsPerApply?: number;
  onWalFlush?: (spans: number, seconds: number) => void;
  onApply?: (spans: number, seconds: number) => void;
}

export class Intake {
  private queue: WalRecord[] = [];
  /** Spans in the WAL path or queued for DuckDB: what the queue limit bounds. */
  private inflight = 0;
  private appliedSeq = 0n;
  private applyTimer: NodeJS.Timeout | null = null;
  private applying: Promise<void> | null = null;
  private lastApplyAt = Date.now();
  private lastCheckpointAt = Date.now();
  private closing = false;
  private failures = 0;
  private readonly checkpointBytes: number;
  private readonly checkpointIntervalMs: number;
  private readonly maxRowsPerApply: number;

  private constructor(
    private readonly opts: IntakeOptions,
    private readonly wal: Wal
  ) {
    this.checkpointBytes = opts.checkpointBytes ?? 64 * 1024 * 1024;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 10_000;
    this.maxRowsPerApply = opts.maxRowsPerApply ?? 50_000;
  }

  /** Opens the WAL, replays what DuckDB lacks, checkpoints, and starts a fresh segment. */
  static async start(opts: IntakeOptions): Promise<Intake> {
    let intake: Intake | null = null;
    const wal = await Wal.open({
      dir: opts.walDir,
      onCommitted: (records) => intake?.committed(records),
      onFlush: opts.onWalFlush,
    });
    intake = new Intake(opts, wal);
    await intake.replay();
    return intake;
  }

  private async replay(): Promise<void> {
    const t0 = Date.now();
    this.appliedSeq = await this.opts.storage.appliedSeq();
    const { records, tornBytes } = await this.wal.readExisting();
    let maxSeq = this.appliedSeq;
    let replayedSpans = 0;
    let batch: WalRecord[] = [];
    let batchRows = 0;
    const flush = async () => {
      if (batch.length > 0) {
        await this.opts.storage.applyBatch(
          batch.flatMap((r) => r.rows),
          batch[batch.length - 1]!.seq
        );
        replayedSpans += batchRows;
        batch = [];
        batchRows = 0;
      }
    };
    for (const r of records) {
      if (r.seq > maxSeq) {
        maxSeq = r.seq;
      }
      if (r.seq <= this.appliedSeq) {
        continue;
      }
      batch.push(r);
      batchRows += r.rows.length;
      if (batchRows >= this.maxRowsPerApply) {
        await flush();
      }
    }
    await flush();
    // Every record up to maxSeq is now in DuckDB (skipped ones were already there).
    this.appliedSeq = maxSeq;
    await this.opts.storage.checkpoint();
    await this.wal.deleteSealedUpTo(maxSeq);
    await this.wal.start(maxSeq);
    this.lastCheckpointAt = Date.now();
    if (records.length > 0 || tornBytes > 0) {
      this.opts.log.info(
        { walRecords: records.length, replayedSpans, tornBytes, ms: Date.now() - t0 },
        'wal replayed'
      );
    }
  }

  get queueDepth(): number {
    return this.inflight;
  }

  get walSizeBytes(): Promise<number> {
    return this.wal.sizeBytes();
  }

  /**
   * Makes the rows durable (WAL + fsync) and queues them for DuckDB. Resolves only when they
   * are on disk. Throws OverloadedError when the queue is full or the service is stopping.
   */
  async submit(rows: SpanRow[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    if (this.closing) {
      throw new OverloadedError('service is shutting down', { status: 503, retryAfterSeconds: 5 });
    }
    // An oversized batch still goes through when the queue is empty, or it could never pass.
    if (this.inflight > 0 && this.inflight + rows.length > this.opts.queueMaxSpans) {
      throw new OverloadedError(
        `intake queue full (${this.inflight} spans waiting for storage, limit ${this.opts.queueMaxSpans})`,
        { status: 429, retryAfterSeconds: 1 }
      );
    }
    this.inflight += rows.length;
    try {
      await this.wal.append(rows);
    } catch (e) {
      this.inflight -= rows.length;
      throw new OverloadedError(`write-ahead log write failed: ${(e as Error).message}`, {
        status: 503,
        retryAfterSeconds: 1,
      });
    }
  }

  /** WAL callback, in seq order: queue for DuckDB. */
  private committed(records: WalRecord[]): void {
    this.queue.push(...records);
    this.scheduleApply();
  }

  private scheduleApply(delayMs?: number): void {
    if (this.applyTimer || this.applying) {
      return;
    }
    const wait = delayMs ?? Math.max(0, this.lastApplyAt + this.opts.commitIntervalMs - Date.now());
    this.applyTimer = setTimeout(() => {
      this.applyTimer = null;
      this.applying = this.applyNow().finally(() => {
        this.applying = null;
        if (this.queue.length > 0 && !this.closing) {
          this.scheduleApply(this.failures > 0 ? Math.min(30_000, 200 * 2 ** this.failures) : undefined);
        }
      });
    }, wait);
  }

  private async applyNow(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let n = 0;
        let k = 0;
        while (k < this.queue.length && (k === 0 || n + this.queue[k]!.rows.length <= this.maxRowsPerApply)) {
          n += this.queue[k]!.rows.length;
          k++;
        }
        const batch = this.queue.slice(0, k);
        const rows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((r) => r.rows);
        const seq = batch[batch.length - 1]!.seq;
        const t0 = process.hrtime.bigint();
        await this.opts.storage.applyBatch(rows, seq);
        this.opts.onApply?.(rows.length, Number(process.hrtime.bigint() - t0) / 1e9);
        this.queue.splice(0, k);
        this.inflight -= rows.length;
        this.appliedSeq = seq;
        this.failures = 0;
      }
      await this.maybeCheckpoint(false);
    } catch (e) {
      this.failures++;
      this.opts.log.error({ err: (e as Error).message, failures: this.failures }, 'applying spans to storage failed; will retry');
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
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.queue.length);
      const rows = batch.flatMap((r) => r.rows);
      try {
        await this.opts.storage.applyBatch(rows, batch[batch.length - 1]!.seq);
      } catch (e) {
        this.queue.unshift(...batch);
        throw e;
      }
      this.inflight -= rows.length;
      this.appliedSeq = batch[batch.length - 1]!.seq;
    }
    await this.opts.storage.checkpoint();
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
    if (this.queue.length > 0) {
      this.applying = this.applyNow();
      try {
        await this.applying;
      } finally {
        this.applying = null;
        if (this.queue.length > 0 && !this.closing) {
          this.scheduleApply();
        }
      }
    }
    if (this.failures > 0 && this.queue.length > 0) {
      throw new Error('could not apply all queued spans to storage');
    }
  }

  /** Stops intake (503 from now on), applies and checkpoints everything, closes the WAL. */
  async close(): Promise<void> {
    this.closing = true;
    try {
      await this.flush();
      await this.maybeCheckpoint(true);
    } finally {
      if (this.applyTimer) {
        clearTimeout(this.applyTimer);
        this.applyTimer = null;
      }
      await this.wal.close();
      if (this.queue.length === 0) {
        // Everything is in DuckDB and checkpointed: the remaining segments are redundant.
        await this.wal.deleteSealedUpTo(this.appliedSeq);
      }
    }
  }
}
