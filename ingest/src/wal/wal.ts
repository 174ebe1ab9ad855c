// Write-ahead log of received export requests. A request is acknowledged to the client only
// after its record is fsynced here; DuckDB gets the spans afterwards. Concurrent appends share
// one write and one fdatasync (group commit).
//
// A record holds the request body exactly as received (after decompression): OTLP protobuf is
// already compact, so logging it costs one copy to the kernel and no encoding at all. Replay
// decodes and normalizes it again with the recorded receive time, which gives the same spans
// (validation depends only on the body and that time).
//
// Files: <dir>/<segment no., 16 digits>.wal. Record: magic u32 | payload length u32 | crc32 u32
// | payload. Payload ("PFW2"): seq u64 | received ns i64 | format u8 | 7 zero bytes | body.
// Records of the previous format ("PFW1": JSON {"seq":"N","rows":[...]} of normalized rows)
// are still read. Replay stops a segment at the first short or corrupt record: only a torn
// tail (never acknowledged) can be damaged that way.
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import type { SpanRow } from '../storage/types.js';
import { Mutex } from '../util/mutex.js';

const MAGIC_V1 = 0x50465731; // "PFW1"
const MAGIC = 0x50465732; // "PFW2"
const HEADER = 12;
const META = 24;
const MAX_RECORD = 1024 * 1024 * 1024;

/** Encoding of a logged request body. */
export type BodyFormat = 'protobuf' | 'json';
const FORMAT_CODES: Record<BodyFormat, number> = { protobuf: 1, json: 2 };
const FORMATS: Record<number, BodyFormat | undefined> = { 1: 'protobuf', 2: 'json' };

/** What the intake logs per request. */
export interface WalEntry {
  format: BodyFormat;
  /** Receiver clock when the request arrived (ns): validation is repeated against it on replay. */
  receivedNs: bigint;
  body: Uint8Array;
  /** Set by append(). */
  seq?: bigint;
}

/** A record read back from disk. */
export type WalRecord =
  | { kind: 'request'; seq: bigint; format: BodyFormat; receivedNs: bigint; body: Buffer }
  | { kind: 'rows'; seq: bigint; rows: SpanRow[] };

interface Pending<E extends WalEntry> {
  entry: E;
  head: Buffer;
  body: Uint8Array;
  resolve: (seq: bigint) => void;
  reject: (e: Error) => void;
}

interface Segment {
  no: number;
  file: string;
  maxSeq: bigint;
  size: number;
}

/** Header + meta of one record (the body follows it on disk). */
export function encodeRecordHead(seq: bigint, e: Pick<WalEntry, 'format' | 'receivedNs' | 'body'>): Buffer {
  const head = Buffer.alloc(HEADER + META);
  head.writeBigUInt64LE(seq, HEADER);
  head.writeBigInt64LE(e.receivedNs, HEADER + 8);
  head.writeUInt8(FORMAT_CODES[e.format], HEADER + 16);
  const meta = head.subarray(HEADER);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(META + e.body.byteLength, 4);
  head.writeUInt32LE(zlib.crc32(e.body, zlib.crc32(meta)), 8);
  return head;
}

/** One whole record (tests and tools; the log itself writes head and body without copying). */
export function encodeRecord(seq: bigint, e: Pick<WalEntry, 'format' | 'receivedNs' | 'body'>): Buffer {
  return Buffer.concat([encodeRecordHead(seq, e), e.body]);
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
    if ((magic !== MAGIC && magic !== MAGIC_V1) || len > MAX_RECORD || off + HEADER + len > buf.length) {
      break;
    }
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if (zlib.crc32(payload) !== crc) {
      break;
    }
    if (magic === MAGIC) {
      const format = len >= META ? FORMATS[payload.readUInt8(16)] : undefined;
      if (!format) {
        break;
      }
      records.push({
        kind: 'request',
        seq: payload.readBigUInt64LE(0),
        receivedNs: payload.readBigInt64LE(8),
        format,
        body: payload.subarray(META),
      });
    } else {
      let parsed: { seq: string; rows: Array<Record<string, unknown>> };
      try {
        parsed = JSON.parse(payload.toString('utf8')) as { seq: string; rows: Array<Record<string, unknown>> };
      } catch {
        break;
      }
      records.push({ kind: 'rows', seq: BigInt(parsed.seq), rows: parsed.rows.map(reviveRow) });
    }
    off += HEADER + len;
  }
  return { records, torn: buf.length - off };
}

const SEGMENT_RE = /^(\d{16})\.wal$/;
const segName = (no: number) => `${String(no).padStart(16, '0')}.wal`;

/** fsync of a directory: makes file creations, renames and deletions in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export interface WalOptions<E extends WalEntry> {
  dir: string;
  /**
   * Called with the entries of each group commit (seq set, in seq order), synchronously after
   * the fsync and before the appenders' promises resolve.
   */
  onCommitted?: (entries: E[]) => void;
  /** Observes each group commit: bytes written and seconds spent writing + syncing. */
  onFlush?: (bytes: number, seconds: number) => void;
}

export class Wal<E extends WalEntry = WalEntry> {
  private readonly fileLock = new Mutex();
  private pending: Array<Pending<E>> = [];
  private flushing: Promise<void> | null = null;
  private current: (Segment & { fh: fs.FileHandle }) | null = null;
  private sealed: Segment[] = [];
  private nextSeq = 1n;
  private nextSegmentNo = 1;
  private needsFreshSegment = false;
  private started = false;
  private closed = false;

  private constructor(private readonly opts: WalOptions<E>) {}

  /** Opens the directory; existing segments stay sealed until replayed and deleted. */
  static async open<E extends WalEntry = WalEntry>(opts: WalOptions<E>): Promise<Wal<E>> {
    await fs.mkdir(opts.dir, { recursive: true });
    const w = new Wal<E>(opts);
    const names = (await fs.readdir(opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const n of names) {
      const no = Number(SEGMENT_RE.exec(n)![1]);
      w.sealed.push({ no, file: path.join(opts.dir, n), maxSeq: 0n, size: 0 });
      w.nextSegmentNo = Math.max(w.nextSegmentNo, no + 1);
    }
    return w;
  }

  /**
   * Reads the records of the segments present at open, in order, one segment at a time (so
   * replay holds one segment in memory). Call once, before start().
   */
  async *readExisting(): AsyncGenerator<{ records: WalRecord[]; tornBytes: number }> {
    for (const seg of [...this.sealed]) {
      const buf = await fs.readFile(seg.file);
      const d = decodeSegment(buf);
      seg.size = buf.length;
      for (const r of d.records) {
        if (r.seq > seg.maxSeq) {
          seg.maxSeq = r.seq;
        }
      }
      yield { records: d.records, tornBytes: d.torn };
    }
  }

  /** Starts a fresh segment; sequence numbers continue after `lastSeq`. */
  async start(lastSeq: bigint): Promise<void> {
    this.nextSeq = lastSeq + 1n;
    await this.fileLock.run(() => this.openSegment());
    this.started = true;
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

  /** Appends one request; sets entry.seq and resolves with it once the record is on disk (fdatasync). */
  append(entry: E): Promise<bigint> {
    // Not `!this.current`: that is also null for a moment while rotate() swaps segments (under
    // the file lock, which writeBatch waits for).
    if (this.closed || !this.started) {
      return Promise.reject(new Error('WAL is closed'));
    }
    const seq = this.nextSeq++;
    entry.seq = seq;
    const head = encodeRecordHead(seq, entry);
    return new Promise<bigint>((resolve, reject) => {
      this.pending.push({ entry, head, body: entry.body, resolve, reject });
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

  private async writeBatch(all: Array<Pending<E>>): Promise<void> {
    // A body released or resized between append() and its write (a caller bug) would log a
    // record whose checksum fails at replay, and replay stops there, losing the records after it
    // in that segment: such a request is refused instead.
    const batch = all.filter((p) => {
      // The head holds the body's length (and checksum) as it was at append().
      const atAppend = p.head.readUInt32LE(4) - META;
      if (p.body.byteLength === atAppend) {
        return true;
      }
      p.reject(new Error(`request body changed before its WAL write (${atAppend} bytes at append, ${p.body.byteLength} now)`));
      return false;
    });
    if (batch.length === 0) {
      return;
    }
    const t0 = process.hrtime.bigint();
    let bytes = 0;
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
      let parts: Uint8Array[] = [];
      for (const p of batch) {
        parts.push(p.head, p.body);
        bytes += p.head.length + p.body.byteLength;
      }
      // writev may write less than asked (and caps the buffer count): loop on what is left.
      while (parts.length > 0) {
        const slice = parts.length > 512 ? parts.slice(0, 512) : parts;
        let { bytesWritten } = await seg.fh.writev(slice);
        let k = 0;
        while (k < slice.length && bytesWritten >= slice[k]!.byteLength) {
          bytesWritten -= slice[k]!.byteLength;
          k++;
        }
        parts = parts.slice(k);
        if (bytesWritten > 0) {
          parts[0] = parts[0]!.subarray(bytesWritten);
        }
      }
      await seg.fh.datasync();
      seg.size += bytes;
      seg.maxSeq = batch[batch.length - 1]!.entry.seq!;
    } catch (e) {
      this.needsFreshSegment = true;
      const err = e instanceof Error ? e : new Error(String(e));
      for (const p of batch) {
        p.reject(err);
      }
      return;
    }
    this.opts.onFlush?.(bytes, Number(process.hrtime.bigint() - t0) / 1e9);
    this.opts.onCommitted?.(batch.map((p) => p.entry));
    for (const p of batch) {
      p.resolve(p.entry.seq!);
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

  /**
   * The record with this seq, read back from disk (sealed or current segment), or null. Scans
   * segment by segment: for the rare reader (quarantine), never on the ingest path.
   */
  async readRecord(seq: bigint): Promise<WalRecord | null> {
    return this.fileLock.run(async () => {
      const segs = this.current ? [...this.sealed, this.current] : this.sealed;
      for (const s of segs) {
        const buf = await fs.readFile(s.file).catch(() => null);
        const hit = buf === null ? undefined : decodeSegment(buf).records.find((r) => r.seq === seq);
        if (hit) {
          return hit;
        }
      }
      return null;
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
