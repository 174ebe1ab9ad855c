import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WalCipher } from '../privacy/walCipher.js';
import { COMPACTION_FAILED } from '../storage/rollups.js';
import { makeTempDir } from '../testing/service.js';
import { isDataError, Quarantine } from './quarantine.js';

describe('isDataError', () => {
  it('tells errors of the request from errors of the machine (messages as DuckDB gives them)', () => {
    const data = [
      'bigint out of int64 range',
      'Conversion Error: Could not convert string "x" to INT64',
      'Invalid Input Error: Invalid unicode (byte sequence mismatch) detected in segment statistics update',
      'Constraint Error: NOT NULL constraint failed: spans.trace_id',
    ];
    const environment = [
      'Out of Memory Error: could not allocate block of size 256.0 KiB (230.0 MiB/244.1 MiB used)',
      'IO Error: Could not write file "/data/pyflare.duckdb": No space left on device',
      'FATAL Error: Failed: database has been invalidated because of a previous fatal error.',
      'Connection Error: Connection already closed!',
      'INTERRUPT Error: Interrupted!',
      `${COMPACTION_FAILED} (rollup_1m): Conversion Error: Type INT128 with value 1 can't be cast because the value is out of range`,
    ];
    assert.deepEqual(data.map(isDataError), [true, true, true, true]);
    assert.deepEqual(environment.map(isDataError), [false, false, false, false, false, false]);
  });
});

describe('Quarantine', () => {
  it('keeps bodies as logged, says when they are sealed, and lists them oldest first', async () => {
    const dir = path.join(await makeTempDir(), 'quarantine');
    try {
      const q = new Quarantine(dir);
      const sealed = new WalCipher('k'.repeat(32)).seal(Buffer.from('secret body'));
      await q.put({ seq: 12n, format: 'protobuf', receivedNs: 5n, body: sealed, spans: 3, error: 'bigint out of int64 range' });
      await q.put({ seq: 9n, format: 'json', receivedNs: 4n, body: Buffer.from('{"resourceSpans":[]}'), spans: 1, error: 'x'.repeat(10_000) });
      const all = await q.list();
      assert.deepEqual(
        all.map((x) => [x.seq, x.bodyFile, x.encrypted, x.error.length]),
        [
          ['9', '00000000000000000009.otlp.json', false, 4096],
          ['12', '00000000000000000012.otlp.pb.sealed', true, 25],
        ]
      );
      assert.ok((await fs.readFile(path.join(dir, all[1]!.bodyFile))).equals(sealed));
      assert.deepEqual((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
      // The same request again (replayed after a crash) keeps its files; another with the same seq gets its own.
      await q.put({ seq: 9n, format: 'json', receivedNs: 4n, body: Buffer.from('{"resourceSpans":[]}'), spans: 1, error: 'again' });
      await q.put({ seq: 9n, format: 'json', receivedNs: 7n, body: Buffer.from('{"other":1}'), spans: 2, error: 'other' });
      const now = await q.list();
      assert.deepEqual(
        now.map((x) => [x.seq, x.bodyFile, x.spans]),
        [
          ['9', '00000000000000000009.otlp.json', 1],
          ['9', '00000000000000000009-2.otlp.json', 2],
          ['12', '00000000000000000012.otlp.pb.sealed', 3],
        ]
      );
      assert.equal((await fs.readFile(path.join(dir, now[1]!.bodyFile), 'utf8')), '{"other":1}');
    } finally {
      await fs.rm(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
