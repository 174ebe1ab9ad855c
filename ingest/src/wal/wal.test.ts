import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import { makeTempDir } from '../testing/service.js';
import { decodeSegment, encodeRecord, Wal, type WalEntry, type WalRecord } from './wal.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await makeTempDir('pyflare-wal-');
  dirs.push(d);
  return d;
}
let clock = 1_768_478_400_000_000_000n;
function entry(bytes: number, format: WalEntry['format'] = 'protobuf'): WalEntry {
  return { format, receivedNs: clock++, body: crypto.randomBytes(bytes) };
}
async function segments(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
}
async function readAll(w: Wal): Promise<{ records: WalRecord[]; tornBytes: number }> {
  const records: WalRecord[] = [];
  let tornBytes = 0;
  for await (const seg of w.readExisting()) {
    records.push(...seg.records);
    tornBytes += seg.tornBytes;
  }
  return { records, tornBytes };
}

describe('Wal', () => {
  it('group-commits concurrent appends in seq order and reads them back exactly', async () => {
    const dir = await tempDir();
    const committed: WalEntry[] = [];
    let flushes = 0;
    const wal = await Wal.open({ dir, onCommitted: (r) => committed.push(...r), onFlush: () => flushes++ });
    assert.deepEqual((await readAll(wal)).records, []);
    await wal.start(0n);
    const batches = Array.from({ length: 40 }, (_, i) => entry(1 + (i % 3) * 5000, i % 2 ? 'json' : 'protobuf'));
    const seqs = await Promise.all(batches.map((b) => wal.append(b)));
    assert.deepEqual(seqs, batches.map((_, i) => BigInt(i + 1)));
    assert.deepEqual(committed.map((r) => r.seq), seqs);
    assert.ok(flushes < 40, `one fsync per group, not per append (got ${flushes})`);
    await wal.close();

    const again = await Wal.open({ dir });
    const { records, tornBytes } = await readAll(again);
    assert.equal(tornBytes, 0);
    assert.deepEqual(records.map((r) => r.seq), seqs);
    const r5 = records[5]!;
    assert.ok(r5.kind === 'request');
    assert.equal(r5.format, batches[5]!.format);
    assert.equal(r5.receivedNs, batches[5]!.receivedNs);
    assert.ok(r5.body.equals(batches[5]!.body));
  });

  it('refuses a request whose body was released before its write, and logs the others intact', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    const [a, c] = [entry(3000, 'protobuf'), entry(3000, 'protobuf')];
    // A body with an ArrayBuffer of its own (small Buffers share Node's pool).
    const b: WalEntry = { ...entry(0, 'json'), body: new Uint8Array(crypto.randomBytes(3000)) };
    const appends = Promise.allSettled([wal.append(a), wal.append(b), wal.append(c)]);
    // Appends wait one tick for their group: detach b's memory before the write.
    structuredClone(b.body.buffer, { transfer: [b.body.buffer as ArrayBuffer] });
    const [ra, rb, rc] = await appends;
    assert.deepEqual([ra, rc], [{ status: 'fulfilled', value: 1n }, { status: 'fulfilled', value: 3n }]);
    assert.ok(rb!.status === 'rejected');
    assert.match(String(rb.reason), /request body changed before its WAL write \(3000 bytes at append, 0 now\)/);
    await wal.close();
    const { records, tornBytes } = await readAll(await Wal.open({ dir }));
    assert.equal(tornBytes, 0);
    assert.deepEqual(records.map((r) => r.seq), [1n, 3n]);
    const last = records[1]!;
    assert.ok(last.kind === 'request' && last.body.equals(c.body));
  });

  it('drops a torn tail and continues in a fresh segment', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    for (let i = 0; i < 3; i++) {
      await wal.append(entry(100));
    }
    await wal.close();
    const [seg] = await segments(dir);
    const file = path.join(dir, seg!);
    const size = (await fs.stat(file)).size;
    await fs.truncate(file, size - 7);

    const w2 = await Wal.open({ dir });
    const { records, tornBytes } = await readAll(w2);
    assert.deepEqual(records.map((r) => r.seq), [1n, 2n]);
    assert.ok(tornBytes > 0);
    await w2.start(3n);
    assert.equal(await w2.append(entry(10)), 4n);
    await w2.close();
    assert.equal((await segments(dir)).length, 2, 'new records never follow the torn bytes');

    const w3 = await Wal.open({ dir });
    assert.deepEqual((await readAll(w3)).records.map((r) => r.seq), [1n, 2n, 4n]);
  });

  it('stops at a corrupted record (bad checksum)', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    await wal.append(entry(50));
    await wal.append(entry(50));
    await wal.close();
    const file = path.join(dir, (await segments(dir))[0]!);
    const buf = await fs.readFile(file);
    buf[buf.length - 3] = buf[buf.length - 3]! ^ 0xff;
    await fs.writeFile(file, buf);
    const w2 = await Wal.open({ dir });
    assert.deepEqual((await readAll(w2)).records.map((r) => r.seq), [1n]);
  });

  it('rotates and deletes only fully applied segments', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    await wal.append(entry(10));
    await wal.append(entry(10));
    await wal.rotate();
    await wal.append(entry(10));
    await wal.rotate();
    await wal.append(entry(10));
    assert.equal(wal.sealedCount, 2);
    assert.equal(await wal.deleteSealedUpTo(1n), 0, 'segment 1 holds seq 2, not yet applied');
    assert.equal(await wal.deleteSealedUpTo(2n), 1);
    assert.equal(await wal.deleteSealedUpTo(3n), 1);
    assert.equal((await segments(dir)).length, 1);
    await wal.close();
    const w2 = await Wal.open({ dir });
    assert.deepEqual((await readAll(w2)).records.map((r) => r.seq), [4n]);
  });

  it('reads one record back by seq from a sealed or the current segment', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    const e1 = entry(30);
    const e2 = entry(40, 'json');
    await wal.append(e1);
    await wal.rotate();
    await wal.append(e2);
    const r1 = await wal.readRecord(1n);
    const r2 = await wal.readRecord(2n);
    assert.ok(r1?.kind === 'request' && r2?.kind === 'request');
    assert.ok(r1.body.equals(e1.body) && r2.body.equals(e2.body));
    assert.deepEqual([r1.format, r1.receivedNs, r2.format, r2.receivedNs], [e1.format, e1.receivedNs, 'json', e2.receivedNs]);
    assert.equal(await wal.readRecord(3n), null);
    await wal.close();
  });

  it('still reads records of the previous format (normalized rows as JSON)', () => {
    const row = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), startNs: '5', endNs: '7', durationNs: '2', name: 'x' };
    const payload = Buffer.from(JSON.stringify({ seq: '9', rows: [row] }));
    const header = Buffer.alloc(12);
    header.writeUInt32LE(0x50465731, 0);
    header.writeUInt32LE(payload.length, 4);
    header.writeUInt32LE(zlib.crc32(payload), 8);
    const next = encodeRecord(10n, entry(20));
    const { records, torn } = decodeSegment(Buffer.concat([header, payload, next]));
    assert.equal(torn, 0);
    assert.equal(records.length, 2);
    const legacy = records[0]!;
    assert.ok(legacy.kind === 'rows');
    assert.equal(legacy.seq, 9n);
    assert.equal(legacy.rows[0]!.durationNs, 2n);
    assert.equal(records[1]!.seq, 10n);
  });
});
