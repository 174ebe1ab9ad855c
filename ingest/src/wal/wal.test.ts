import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { normalizeRequest } from '../normalize/index.js';
import { makeTempDir } from '../testing/service.js';
import { NOW_NS, request, span } from '../testing/otlp.js';
import type { SpanRow } from '../storage/types.js';
import { Wal, type WalRecord } from './wal.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await makeTempDir('pyflare-wal-');
  dirs.push(d);
  return d;
}
function rows(n: number): SpanRow[] {
  return normalizeRequest(request(Array.from({ length: n }, () => span({ attrs: { 'gen_ai.request.model': 'gpt-4o' } }))), {
    nowNs: NOW_NS,
  }).rows;
}
async function segments(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
}

describe('Wal', () => {
  it('group-commits concurrent appends in seq order and reads them back exactly', async () => {
    const dir = await tempDir();
    const committed: WalRecord[] = [];
    let flushes = 0;
    const wal = await Wal.open({ dir, onCommitted: (r) => committed.push(...r), onFlush: () => flushes++ });
    assert.deepEqual((await wal.readExisting()).records, []);
    await wal.start(0n);
    const batches = Array.from({ length: 40 }, (_, i) => rows(1 + (i % 3)));
    const seqs = await Promise.all(batches.map((b) => wal.append(b)));
    assert.deepEqual(seqs, batches.map((_, i) => BigInt(i + 1)));
    assert.deepEqual(committed.map((r) => r.seq), seqs);
    assert.ok(flushes < 40, `one fsync per group, not per append (got ${flushes})`);
    await wal.close();

    const again = await Wal.open({ dir });
    const { records, tornBytes } = await again.readExisting();
    assert.equal(tornBytes, 0);
    assert.deepEqual(records.map((r) => r.seq), seqs);
    assert.deepEqual(records[5]!.rows, batches[5]);
    assert.equal(typeof records[5]!.rows[0]!.startNs, 'bigint');
  });

  it('drops a torn tail and continues in a fresh segment', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    for (let i = 0; i < 3; i++) {
      await wal.append(rows(2));
    }
    await wal.close();
    const [seg] = await segments(dir);
    const file = path.join(dir, seg!);
    const size = (await fs.stat(file)).size;
    await fs.truncate(file, size - 7);

    const w2 = await Wal.open({ dir });
    const { records, tornBytes } = await w2.readExisting();
    assert.deepEqual(records.map((r) => r.seq), [1n, 2n]);
    assert.ok(tornBytes > 0);
    await w2.start(3n);
    assert.equal(await w2.append(rows(1)), 4n);
    await w2.close();
    assert.equal((await segments(dir)).length, 2, 'new records never follow the torn bytes');

    const w3 = await Wal.open({ dir });
    assert.deepEqual((await w3.readExisting()).records.map((r) => r.seq), [1n, 2n, 4n]);
  });

  it('stops at a corrupted record (bad checksum)', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    await wal.append(rows(1));
    await wal.append(rows(1));
    await wal.close();
    const file = path.join(dir, (await segments(dir))[0]!);
    const buf = await fs.readFile(file);
    buf[buf.length - 3] = buf[buf.length - 3]! ^ 0xff;
    await fs.writeFile(file, buf);
    const w2 = await Wal.open({ dir });
    assert.deepEqual((await w2.readExisting()).records.map((r) => r.seq), [1n]);
  });

  it('rotates and deletes only fully applied segments', async () => {
    const dir = await tempDir();
    const wal = await Wal.open({ dir });
    await wal.start(0n);
    await wal.append(rows(1));
    await wal.append(rows(1));
    await wal.rotate();
    await wal.append(rows(1));
    await wal.rotate();
    await wal.append(rows(1));
    assert.equal(wal.sealedCount, 2);
    assert.equal(await wal.deleteSealedUpTo(1n), 0, 'segment 1 holds seq 2, not yet applied');
    assert.equal(await wal.deleteSealedUpTo(2n), 1);
    assert.equal(await wal.deleteSealedUpTo(3n), 1);
    assert.equal((await segments(dir)).length, 1);
    await wal.close();
    const w2 = await Wal.open({ dir });
    assert.deepEqual((await w2.readExisting()).records.map((r) => r.seq), [4n]);
  });
});
