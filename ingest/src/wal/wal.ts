// Write-ahead log of normalized span batches. A batch is acknowledged to the client only after
// its record is fsynced here; DuckDB gets it afterwards. Concurrent appends share one write and
// one fdatasync (group commit).
//
// Files: <dir>/<segment no., 16 digits>.wal. Record: magic u32 | payload length u32 | crc32 u32
// | payload (UTF-8 JSON {"seq":"N","rows":[...]}). Replay stops a segment at the first short or
// corrupt record: only a torn tail (never acknowledged) can be damaged that way.
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import type { SpanRow } from '../storage/types.js';
import { Mutex } from '../util/mutex.js';

const MAGIC = 0x50465731; // "PFW1"
const HEADER = 12;
const MAX_RECORD = 1024 * 1024 * 1024;

export interface WalRecord {
  seq: bigint;
  rows: SpanRow[];
}

interface Pending {
  seq: bigint;
  rows: SpanRow[];
  buf: Buffer;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Segment {
  no: number;
  file: string;
  maxSeq: bigint;
  size: number;
}

export function encodeRecord(seq: bigint, rows: readonly SpanRow[]): Buffer {
  const payload = Buffer.from(
    JSON.stringify({ seq: seq.toString(), rows }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    'utf8'
  );
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(zlib.crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

function reviveRow(r: Record<string, unknown>): SpanRow {
  const row = r as unknown as SpanRow;
  row.startNs = BigInt(r.startNs as string);
  row.endNs = BigInt(r.endNs as string);
  row.durationNs = BigInt(r.durationNs as string);
  return row;
}

/** Parses the records of one segment; `torn` is the byte count after the last good record. */
export function decodeSegment(buf: Buffer): { records: WalRecord[]; torn: number } {
  const records: WalRecord[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const magic = buf.readUInt32LE(off);
    const len = buf.readUInt32LE(off + 4);
    const crc = buf.readUInt32LE(off + 8);
    if (magic !== MAGIC || len > MAX_RECORD || off + HEADER + len > buf.length) {
      break;
    }
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if (zlib.crc32(payload) !== crc) {
      break;
    }
    let parsed: { seq: string; rows: Record<string, unknown>[] };
    try {
      parsed = JSON.parse(payload.toString('utf8')) as { seq: string; rows: Record<string, unknown>[] };
    } catch {
      break;
    }
    records.push({ seq: BigInt(parsed.seq), rows: parsed.rows.map(reviveRow) });
    off += HEADER + len;
  }
  return { records, torn: buf.length - off };
}

const SEGMENT_RE = /^(\d{16})\.wal$/;
const segName = (no: number) => `${String(no).padStart(16, '0')}.wal`;

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export interface WalOptions {
  dir: string;
  /** Called in seq order, synchronously after each group commit, before the appenders resume. */
  onCommitted?: (records: WalRecord[]) => void;
  /** Observes each group commit: spans written and seconds spent writing + syncing. */
  onFlush?: (spans: number, seconds: number) => void;
}

export class Wal {
  private readonly fileLock = new Mutex();
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private current: (Segment & { fh: fs.FileHandle }) | null = null;
  private sealed: Segment[] = [];
  private nextSeq = 1n;
  private nextSegmentNo = 1;
  private needsFreshSegment = false;
  private closed = false;

  private constructor(private readonly opts: WalOptions) {}

  /** Opens the directory; existing segments stay sealed until replayed and deleted. */
  static async open(opts: WalOptions): Promise<Wal> {
    await fs.mkdir(opts.dir, { recursive: true });
    const w = new Wal(opts);
    const names = (await fs.readdir(opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const n of names) {
      const no = Number(SEGMENT_RE.exec(n)![1]);
      w.sealed.push({ no, file: path.join(opts.dir, n), maxSeq: 0n, size: 0 });
      w.nextSegmentNo = Math.max(w.nextSegmentNo, no + 1);
    }
    return w;
  }

  /**
   * Reads the records of the segments present at open, in order. Call once, before start().
   * Returns the records and the number of bytes dropped from torn tails.
   */
  async readExisting(): Promise<{ records: WalRecord[]; tornBytes: number }> {
    const records: WalRecord[] = [];
    let tornBytes = 0;
    for (const seg of this.sealed) {
      const buf = await fs.readFile(seg.file);
      const d = decodeSegment(buf);
      tornBytes += d.torn;
      seg.size = buf.length;
      for (const r of d.records) {
        records.push(r);
        if (r.seq > seg.maxSeq) {
          seg.maxSeq = r.seq;
        }
      }
    }
    return { records, tornBytes };
  }

  /** Starts a fresh segment; sequence numbers continue after `lastSeq`. */
  async start(lastSeq: bigint): Promise<void> {
    this.nextSeq = lastSeq + 1n;
    await this.fileLock.run(() => this.openSegment());
  }

  private async openSegment(): Promise<void> {
    const no = this.nextSegmentNo++;
    const file = path.join(this.opts.dir, segName(no));
    const fh = await fs.open(file, 'a');
    await fsyncDir(this.opts.dir);
    this.current = { no, file, fh, maxSeq: 0n, size: 0 };
    this.needsFreshSegment = false;
  }

  get currentSize(): number {
    return this.current?.size ?? 0;
  }
  get sealedCount(): number {
    return this.sealed.length;
  }
  get lastAssignedSeq(): bigint {
    return this.nextSeq - 1n;
  }
  async sizeBytes(): Promise<number> {
    return this.sealed.reduce((s, x) => s + x.size, 0) + this.currentSize;
  }

  /** Appends one batch; resolves with its seq once it is on disk (fdatasync). */
  append(rows: SpanRow[]): Promise<bigint> {
    if (this.closed || !this.current) {
      return Promise.reject(new Error('WAL is closed'));
    }
    const seq = this.nextSeq++;
    const buf = encodeRecord(seq, rows);
    return new Promise<bigint>((resolve, reject) => {
      this.pending.push({ seq, rows, buf, resolve: () => resolve(seq), reject });
      if (!this.flushing) {
        this.flushing = this.flushLoop().finally(() => {
          this.flushing = null;
        });
      }
    });
  }

  private async flushLoop(): Promise<void> {
    // Yield once so appends issued in the same tick join this group.
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      await this.fileLock.run(() => this.writeBatch(batch));
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const t0 = process.hrtime.bigint();
    try {
      if (this.needsFreshSegment) {
        // A failed write may have left a partial record: later records must not follow it.
        await this.sealCurrent();
        await this.openSegment();
      }
      const seg = this.current;
      if (!seg) {
        throw new Error('WAL is closed');
      }
      const data = batch.length === 1 ? batch[0]!.buf : Buffer.concat(batch.map((p) => p.buf));
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await seg.fh.write(data, off, data.length - off);
        off += bytesWritten;
      }
      await seg.fh.datasync();
      seg.size += data.length;
      seg.maxSeq = batch[batch.length - 1]!.seq;
    } catch (e) {
      this.needsFreshSegment = true;
      const err = e instanceof Error ? e : new Error(String(e));
      for (const p of batch) {
        p.reject(err);
      }
      return;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    this.opts.onFlush?.(batch.reduce((n, p) => n + p.rows.length, 0), seconds);
    this.opts.onCommitted?.(batch.map((p) => ({ seq: p.seq, rows: p.rows })));
    for (const p of batch) {
      p.resolve();
    }
  }

  private async sealCurrent(): Promise<void> {
    const cur = this.current;
    if (!cur) {
      return;
    }
    this.current = null;
    await cur.fh.close();
    if (cur.size === 0 && cur.maxSeq === 0n) {
      await fs.rm(cur.file, { force: true });
    } else {
      this.sealed.push({ no: cur.no, file: cur.file, maxSeq: cur.maxSeq, size: cur.size });
    }
  }

  /** Seals the current segment (if it has records) and starts a new one, between group commits. */
  async rotate(): Promise<void> {
    await this.fileLock.run(async () => {
      if (this.closed || !this.current || this.current.size === 0) {
        return;
      }
      await this.sealCurrent();
      await this.openSegment();
    });
  }

  /** Deletes sealed segments whose records are all applied (seq <= appliedSeq) and checkpointed. */
  async deleteSealedUpTo(appliedSeq: bigint): Promise<number> {
    return this.fileLock.run(async () => {
      const keep: Segment[] = [];
      let deleted = 0;
      for (const s of this.sealed) {
        if (s.maxSeq <= appliedSeq) {
          await fs.rm(s.file, { force: true });
          deleted++;
        } else {
          keep.push(s);
        }
      }
      this.sealed = keep;
      if (deleted > 0) {
        await fsyncDir(this.opts.dir).catch(() => undefined);
      }
      return deleted;
    });
  }

  /** Waits for in-flight group commits. */
  async drain(): Promise<void> {
    while (this.flushing) {
      await this.flushing;
    }
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    await this.fileLock.run(async () => {
      const cur = this.current;
      this.current = null;
      if (cur) {
        await cur.fh.close();
        if (cur.size === 0) {
          await fs.rm(cur.file, { force: true });
        } else {
          this.sealed.push({ no: cur.no, file: cur.file, maxSeq: cur.maxSeq, size: cur.size });
        }
      }
    });
  }
}
