import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type ddb from '@duckdb/node-bindings';
import { RowScan } from './rowScan.js';
import { CHUNK_ROWS } from './tableScan.js';

interface Row {
  id: bigint | null;
  sum: bigint;
  flag: boolean;
  text: string | null;
}

const scanOf = () =>
  new RowScan<Row>('test_rows', [
    { name: 'id', type: 'BIGINT', nullable: true, get: (r) => r.id },
    { name: 'sum', type: 'HUGEINT', get: (r) => r.sum },
    { name: 'flag', type: 'BOOLEAN', get: (r) => r.flag },
    { name: 'text', type: 'VARCHAR', nullable: true, get: (r) => r.text },
  ]);

/** A database with table t and `scan` (default: test_rows) registered on its connection. */
async function withScan<S extends RowScan<Row>>(
  fn: (run: (sql: string) => Promise<Array<Record<string, unknown>>>, scan: S, exec: (sql: string) => Promise<unknown>) => Promise<void>,
  scan: S = scanOf() as S
): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  scan.register((c as unknown as { connection: ddb.Connection }).connection);
  await c.run('CREATE TABLE t (id BIGINT, sum HUGEINT NOT NULL, flag BOOLEAN NOT NULL, text VARCHAR)');
  try {
    await fn(async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJS(), scan, (sql) => c.run(sql));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('RowScan', () => {
  it('inserts every row, across several chunks, with NULLs, 128-bit values and any text', async () => {
    const edge = [0n, -1n, 1n << 64n, -(1n << 64n) - 5n, (1n << 127n) - 1n, -(1n << 127n), 2n ** 63n - 1n, -(2n ** 63n)];
    const rows: Row[] = Array.from({ length: 5000 }, (_, i) => ({
      id: i % 7 === 0 ? null : BigInt(i) * (i % 2 ? -1n : 1n) * 1_000_000_007n,
      sum: i % 3 === 0 ? edge[i % edge.length]! : BigInt(i),
      flag: i % 3 === 1,
      text: i % 5 === 0 ? null : i % 11 === 0 ? `long ${'ü🙂'.repeat(i % 40)} ${i}` : `r${i}`,
    }));
    await withScan(async (run, scan) => {
      scan.load(rows);
      await run(`INSERT INTO t ${scan.select()}`);
      scan.clear();
      const back = await run('SELECT id, sum, flag, text FROM t ORDER BY rowid');
      assert.equal(back.length, rows.length);
      assert.deepEqual(back, rows as unknown as Array<Record<string, unknown>>);
    });
  });

  it('select() limits the scan to exactly its rows: DuckDB stops calling back after the last row', async () => {
    class Counting extends RowScan<Row> {
      calls = 0;
      protected override fill(out: ddb.DataChunk): void {
        this.calls++;
        super.fill(out);
      }
    }
    await withScan(async (run, scan, exec) => {
      for (const n of [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, 3 * CHUNK_ROWS + 5]) {
        const rows = Array.from({ length: n }, (_, i) => ({ id: BigInt(i), sum: BigInt(-i), flag: i % 2 === 0, text: `t${i}` }));
        scan.calls = 0;
        scan.load(rows);
        await exec(`INSERT INTO t ${scan.select()}`);
        scan.clear();
        assert.deepEqual(await run('SELECT id, sum, flag, text FROM t ORDER BY id'), rows as unknown as Array<Record<string, unknown>>, `${n} rows`);
        // One call per chunk of rows; without the limit, one more for the empty chunk that ends a
        // scan (as for no rows at all: no limit there, so a miscount would still show).
        assert.equal(scan.calls, Math.max(1, Math.ceil(n / CHUNK_ROWS)), `${n} rows`);
        await exec('DELETE FROM t');
      }
    }, new Counting('counted_rows', scanOf().columns));
  });

  it('fails the statement, and stores nothing, when the scan returns more rows than it counted for its limit', async () => {
    class UnderCounting extends RowScan<Row> {
      protected override rowsIn(items: readonly Row[]): number {
        return items.length - 1;
      }
    }
    await withScan(async (run, scan, exec) => {
      for (const n of [1, 2, CHUNK_ROWS, CHUNK_ROWS + 1]) {
        scan.load(Array.from({ length: n }, (_, i) => ({ id: BigInt(i), sum: 0n, flag: true, text: null })));
        await assert.rejects(exec(`BEGIN TRANSACTION; INSERT INTO t ${scan.select()}; COMMIT`), /short_rows: returns more rows than the \d+ it counted/, `${n} rows`);
        await exec('ROLLBACK');
        scan.clear();
        assert.deepEqual(await run('SELECT count(*) AS n FROM t'), [{ n: 0n }], `${n} rows`);
      }
    }, new UnderCounting('short_rows', scanOf().columns));
  });

  it('fails the statement, naming the column, for a value the column type cannot hold (a typed array would wrap it)', async () => {
    await withScan(async (run, scan) => {
      for (const [bad, message] of [
        [{ id: 2n ** 63n, sum: 0n, flag: false, text: null }, /id: bigint out of int64 range/],
        [{ id: 1n, sum: 2n ** 127n, flag: false, text: null }, /sum: bigint out of int128 range/],
      ] as const) {
        scan.load([{ id: 1n, sum: 1n, flag: true, text: 'ok' }, bad]);
        await assert.rejects(run('INSERT INTO t SELECT * FROM test_rows()'), message);
        scan.clear();
      }
      assert.deepEqual(await run('SELECT count(*) AS n FROM t'), [{ n: 0n }]);
    });
  });
});
