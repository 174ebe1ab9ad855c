// DuckDB-only storage details. The behaviour every backend shares (ingest, search, catalogs,
// API keys, budgets, retention, reopen) is in the conformance suite (conformance/suite.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import { normalizeRequest } from '../normalize/index.js';
import { parseSearch } from '../search/parser.js';
import { NOW_NS, request, span } from '../testing/otlp.js';
import { makeTempDir } from '../testing/service.js';
import { DuckDbStorage, globToLike } from './duckdb.js';
import type { MemoryEvent } from './memoryFit.js';
import { COMPACTION_FAILED } from './rollups.js';
import type { SpanRow } from './types.js';

/** Runs `fn` on a DuckDB storage in a fresh directory, removed afterwards. */
async function withStorage(opts: { rollupCompactAfter?: number; storageVersion?: string; blockSize?: number }, fn: (db: DuckDbStorage) => Promise<void>): Promise<void> {
  const dir = await makeTempDir();
  const db = await DuckDbStorage.open({ dataDir: dir, ...opts });
  try {
    await fn(db);
  } finally {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Applies rows in one batch; those at `countedOnly` as trace sampling drops them (rollups only). */
async function applySampled(db: DuckDbStorage, rows: readonly SpanRow[], countedOnly: number): Promise<void> {
  const b = db.newSpanBatch();
  rows.forEach((r, i) => (i === countedOnly ? b.addCountedOnly(r) : b.add(r)));
  const prepared = b.finish();
  try {
    await db.applyPrepared([prepared], 1n);
  } finally {
    prepared.spans.release();
  }
}

/** A query runner on the storage `db()` returns (tests that reopen the file swap it). */
function sqlOn(db: () => DuckDbStorage): (q: string) => Promise<Array<Record<string, unknown>>> {
  return async (q) => {
    const c = await db().connect();
    try {
      return (await c.runAndReadAll(q)).getRowObjectsJS() as Array<Record<string, unknown>>;
    } finally {
      c.closeSync();
    }
  };
}

/** `select` over each time-rollup table (1m, 1h): its one row. */
async function perRollup(db: DuckDbStorage, select: string): Promise<unknown[]> {
  const c = await db.connect();
  try {
    const out: unknown[] = [];
    for (const t of ['rollup_1m', 'rollup_1h']) {
      out.push((await c.runAndReadAll(`SELECT ${select} FROM ${t}`)).getRowObjectsJS()[0]);
    }
    return out;
  } finally {
    c.closeSync();
  }
}

describe('DuckDbStorage', () => {
  it('treats SQL wildcards in user input literally', () => {
    assert.equal(globToLike('gpt-4o*'), 'gpt-4o%');
    assert.equal(globToLike('a_b%c\\'), 'a\\_b\\%c\\\\');
  });

  it('sums durations in 128 bits (spans starting in 1970 are valid), saturates the other sums at 64 bits, and converts the sums of older files', async () => {
    const dir = await makeTempDir();
    let db = await DuckDbStorage.open({ dataDir: dir, rollupCompactAfter: 1 });
    const sql = sqlOn(() => db);
    try {
      // Six spans of ~56 years in one bucket: the sum of their durations is beyond 2^63.
      const traceId = 'cd'.repeat(16);
      const { rows } = normalizeRequest(request(Array.from({ length: 6 }, () => span({ traceId, startTimeUnixNano: 1n, endTimeUnixNano: NOW_NS }))), { nowNs: NOW_NS });
      assert.equal(rows.length, 6);
      await db.applyBatch(rows, 1n);
      await db.applyBatch(normalizeRequest(request([span({ traceId, startTimeUnixNano: 1n, endTimeUnixNano: NOW_NS })]), { nowNs: NOW_NS }).rows, 2n);
      const expected = 7n * (NOW_NS - 1n);
      assert.ok(expected > 2n ** 63n);
      for (const t of ['rollup_1m', 'rollup_1h']) {
        assert.deepEqual(await sql(`SELECT sum(dur_sum) AS s, sum(n) AS n FROM ${t}`), [{ s: expected, n: 7n }], t);
      }
      assert.equal((await db.getTrace(traceId))?.length, 7);

      // The other sums saturate at 64 bits, through compaction too: four spans of 2^62 tokens
      // and micro-dollars each.
      const MAX = 2n ** 63n - 1n;
      const big = rows.slice(0, 4).map((r, i) => ({ ...r, spanId: `${i}`.repeat(16), inputTokens: 2 ** 62, costMicros: 2 ** 62 }));
      await db.applyBatch(big, 3n);
      await db.applyBatch([{ ...big[0]!, spanId: 'e'.repeat(16) }], 4n);
      assert.deepEqual(await sql(`SELECT max(in_sum) AS s FROM trace_rollup WHERE trace_id = '${traceId}'`), [{ s: MAX }]);
      for (const t of ['rollup_1m', 'rollup_1h']) {
        assert.deepEqual(await sql(`SELECT max(cost_sum) AS c, max(in_sum) AS i, sum(n) AS n FROM ${t}`), [{ c: MAX, i: MAX, n: 12n }], t);
      }
      assert.equal((await db.getTrace(traceId))?.length, 12);
      // Erasing saturated spans never fails (the negative rows saturate as well).
      await db.deleteSpans({ userId: 'nobody' });

      // Files from before: sums of another width are converted when opened (narrowed saturating).
      const c = await db.connect();
      await c.run('ALTER TABLE rollup_1m ALTER COLUMN cost_sum TYPE HUGEINT');
      await c.run('UPDATE rollup_1m SET cost_sum = cost_sum * 4');
      await c.run('ALTER TABLE trace_rollup ALTER COLUMN in_sum TYPE HUGEINT');
      c.closeSync();
      await db.close();
      db = await DuckDbStorage.open({ dataDir: dir });
      const types = `SELECT table_name AS t, column_name AS col, data_type AS type FROM duckdb_columns() WHERE table_name IN ('rollup_1m', 'rollup_1h', 'trace_rollup') AND suffix(column_name, '_sum') AND (column_name IN ('dur_sum', 'cost_sum', 'in_sum')) ORDER BY ALL`;
      const expectTypes = [
        { t: 'rollup_1h', col: 'cost_sum', type: 'BIGINT' },
        { t: 'rollup_1h', col: 'dur_sum', type: 'HUGEINT' },
        { t: 'rollup_1h', col: 'in_sum', type: 'BIGINT' },
        { t: 'rollup_1m', col: 'cost_sum', type: 'BIGINT' },
        { t: 'rollup_1m', col: 'dur_sum', type: 'HUGEINT' },
        { t: 'rollup_1m', col: 'in_sum', type: 'BIGINT' },
        { t: 'trace_rollup', col: 'cost_sum', type: 'BIGINT' },
        { t: 'trace_rollup', col: 'in_sum', type: 'BIGINT' },
      ];
      assert.deepEqual(await sql(types), expectTypes);
      assert.deepEqual(await sql('SELECT max(cost_sum) AS c FROM rollup_1m'), [{ c: MAX }]);
      // And a 64-bit dur_sum (files from before it was 128-bit) is widened.
      const c2 = await db.connect();
      await c2.run('DELETE FROM rollup_1m');
      await c2.run('ALTER TABLE rollup_1m ALTER COLUMN dur_sum TYPE BIGINT USING 0');
      c2.closeSync();
      await db.close();
      db = await DuckDbStorage.open({ dataDir: dir });
      assert.deepEqual(await sql(types), expectTypes);
    } finally {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('finds traces through the 64-bit trace key index, and gives a file from before the key its column and index in place of the VARCHAR index', async () => {
    const dir = await makeTempDir();
    let db = await DuckDbStorage.open({ dataDir: dir });
    const sql = sqlOn(() => db);
    const indexes = () => sql(`SELECT index_name AS i, expressions AS e FROM duckdb_indexes() WHERE table_name = 'spans' ORDER BY 1`);
    try {
      // Two traces sharing their first 64 bits (the key), one of them above 2^63.
      const a = `f${'0'.repeat(15)}${'1'.repeat(16)}`;
      const b = `f${'0'.repeat(15)}${'2'.repeat(16)}`;
      const c = `0123456789abcdef${'3'.repeat(16)}`;
      const spans = [a, a, b, c].map((traceId) => span({ traceId }));
      await db.applyBatch(normalizeRequest(request(spans), { nowNs: NOW_NS }).rows, 1n);
      const lookups = async () => [(await db.getTrace(a)).length, (await db.getTrace(b)).length, (await db.getTrace(c)).length, (await db.getTrace('ab'.repeat(16))).length];
      assert.deepEqual(await lookups(), [2, 1, 1, 0]);
      assert.deepEqual(await indexes(), [{ i: 'spans_trace_key', e: '[trace_key]' }]);
      assert.deepEqual(await sql(`SELECT DISTINCT trace_key AS k FROM spans WHERE trace_id <> '${c}'`), [{ k: 2n ** 63n * 2n - 2n ** 60n }]);

      // A file as builds before the key wrote it: no trace_key column, a VARCHAR index on trace_id.
      const conn = await db.connect();
      await conn.run('DROP INDEX spans_trace_key');
      await conn.run('ALTER TABLE spans DROP COLUMN trace_key');
      await conn.run('CREATE INDEX spans_trace_id ON spans (trace_id)');
      await conn.run(`DELETE FROM pyflare_meta WHERE key = 'trace_key'`);
      conn.closeSync();
      await db.close();
      db = await DuckDbStorage.open({ dataDir: dir });
      assert.deepEqual(await indexes(), [{ i: 'spans_trace_key', e: '[trace_key]' }]);
      assert.deepEqual(await sql(`SELECT count(*) AS n FROM spans WHERE trace_key IS DISTINCT FROM TRY_CAST('0x' || left(trace_id, 16) AS UBIGINT) OR trace_key IS NULL`), [{ n: 0n }]);
      assert.deepEqual(await lookups(), [2, 1, 1, 0]);
      // And the converted file takes new spans as a new one does.
      await db.applyBatch(normalizeRequest(request([span({ traceId: b })]), { nowNs: NOW_NS }).rows, 2n);
      assert.deepEqual(await lookups(), [2, 2, 1, 0]);

      // An older build started on the converted file (a rollback) creates its VARCHAR index again
      // before it refuses the file: the next open drops it, or every insert would keep both.
      const rollback = await db.connect();
      await rollback.run('CREATE INDEX spans_trace_id ON spans (trace_id)');
      rollback.closeSync();
      await db.close();
      db = await DuckDbStorage.open({ dataDir: dir });
      assert.deepEqual(await indexes(), [{ i: 'spans_trace_key', e: '[trace_key]' }]);
      assert.deepEqual(await lookups(), [2, 2, 1, 0]);
    } finally {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('raises its memory limit as the index it cannot evict grows, up to the cap, and warns near the cap', async () => {
    const dir = await makeTempDir();
    const events: MemoryEvent[] = [];
    const db = await DuckDbStorage.open({ dataDir: dir, memoryLimit: '300MB', memoryStart: '128MB', onMemory: (e) => events.push(e) });
    const other = await db.connect();
    // An ART index on random keys in this instance stands in for a large trace lookup index.
    const growIndex = async (c: DuckDBConnection, keys: number) => {
      await c.run('CREATE TEMP TABLE IF NOT EXISTS k (x UBIGINT)');
      await c.run('CREATE INDEX IF NOT EXISTS ki ON k (x)');
      await c.run(`INSERT INTO k SELECT hash(range + (SELECT count(*) FROM k)) FROM range(${keys})`);
      return Number((await c.runAndReadAll(`SELECT sum(memory_usage_bytes)::BIGINT AS b FROM duckdb_memory() WHERE tag = 'ART_INDEX'`)).getRowObjectsJS()[0]!.b);
    };
    // DuckDB's own setting, which it shows in MiB with one decimal.
    const duckdbLimit = async () => {
      const v = String((await other.runAndReadAll(`SELECT current_setting('memory_limit') AS v`)).getRowObjectsJS()[0]!.v);
      assert.match(v, / MiB$/);
      return Number.parseFloat(v) * 2 ** 20;
    };
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 0.1 * 2 ** 20, `${a} vs ${b}`);
    try {
      // A new database runs at memoryStart, and spans going in leave it there.
      assert.equal(db.memoryLimitBytes(), 128e6);
      near(await duckdbLimit(), 128e6);
      await db.applyBatch(normalizeRequest(request([span()]), { nowNs: NOW_NS }).rows, 1n);
      await db.checkpoint();
      assert.equal(events.length, 0);

      // ~40 MB of index: with the room beside it, past 80 % of 128MB.
      const index = await growIndex(other, 1_000_000);
      assert.ok(index > 30e6, `index ${index}`);
      await db.checkpoint();
      assert.deepEqual(events.map((e) => e.kind), ['raised']);
      const raised = events[0]!;
      assert.equal(raised.previousBytes, 128e6);
      assert.equal(raised.indexBytes, index);
      assert.equal(raised.limitBytes, Math.ceil(raised.needBytes * 1.5));
      assert.equal(db.memoryLimitBytes(), raised.limitBytes);
      near(await duckdbLimit(), raised.limitBytes);
      // More: the limit stops at the cap.
      await growIndex(other, 2_000_000);
      await db.checkpoint();
      assert.deepEqual(events.map((e) => e.kind), ['raised', 'raised']);
      assert.equal(db.memoryLimitBytes(), 300e6);
      near(await duckdbLimit(), 300e6);
      // Spans still go in and come back.
      await db.applyBatch(normalizeRequest(request([span({ traceId: 'ab'.repeat(16) })]), { nowNs: NOW_NS }).rows, 2n);
      assert.equal((await db.getTrace('ab'.repeat(16))).length, 1);
    } finally {
      other.closeSync();
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    }

    // At the cap already, a need past 80 % of it gets a warning, once a minute.
    const dir2 = await makeTempDir();
    const warned: MemoryEvent[] = [];
    const capped = await DuckDbStorage.open({ dataDir: dir2, memoryLimit: '150MB', memoryStart: '150MB', onMemory: (e) => warned.push(e) });
    const c2 = await capped.connect();
    try {
      assert.equal(capped.memoryLimitBytes(), 150e6);
      await capped.checkpoint();
      assert.equal(warned.length, 0);
      await growIndex(c2, 1_000_000);
      await capped.checkpoint();
      await capped.checkpoint();
      assert.deepEqual(warned.map((e) => [e.kind, e.limitBytes, e.ceilingBytes]), [['near_ceiling', 150e6, 150e6]]);
      assert.ok(warned[0]!.needBytes > 0.8 * 150e6);
    } finally {
      c2.closeSync();
      await capped.close();
      await fs.rm(dir2, { recursive: true, force: true });
    }
  });

  it('names a failed rollup compaction as such (it is not the fault of the batch that triggered it)', async () => {
    await withStorage({ rollupCompactAfter: 1 }, async (db) => {
      // A merge table of the wrong shape on the writer's connection makes the compaction's
      // INSERT fail, as any failure inside the compaction would.
      const writer = (db as unknown as { writer: { run(sql: string): Promise<unknown> } }).writer;
      await writer.run('CREATE TEMP TABLE rollup_1m_merge (x INTEGER)');
      const { rows } = normalizeRequest(request([span()]), { nowNs: NOW_NS });
      await assert.rejects(db.applyBatch(rows, 1n), (e: Error) => e.message.startsWith(`${COMPACTION_FAILED} (rollup_1m): `));
      assert.equal(await db.appliedSeq(), 0n, 'the batch is rolled back with it');
      await writer.run('DROP TABLE rollup_1m_merge');
      await db.applyBatch(rows, 1n);
      assert.equal((await db.status()).spanCount, 1);
    });
  });

  it('keeps trace-rollup sets apart when a value holds their separator (U+0001)', async () => {
    await withStorage({ rollupCompactAfter: 1 }, async (db) => {
      const [a, b] = ['a1'.repeat(16), 'b2'.repeat(16)];
      const { rows } = normalizeRequest(
        request([span({ traceId: a, attrs: { 'user.id': 'mallory\u0001victim' } }), span({ traceId: b, attrs: { 'user.id': 'victim' } })]),
        { nowNs: NOW_NS }
      );
      await db.applyBatch(rows, 1n);
      const ids = async (q: string) =>
        (await db.searchTraces({ fromNs: NOW_NS - 3_600_000_000_000n, toNs: NOW_NS, where: parseSearch(q), sortBy: 'time', limit: 10 })).map((t) => t.traceId).sort();
      assert.deepEqual(await ids('user:victim'), [b]);
      assert.deepEqual(await ids('user:mallory'), []);
      assert.deepEqual(await ids('user:mallory*'), [a]);
      assert.deepEqual(await ids('user:"mallory\u0001victim"'), [a], 'the value itself still finds its trace');
      assert.deepEqual(await ids('user:"mallory\u0001victim" name:*'), [a], 'on the raw spans too (name:* is answered there)');
      assert.deepEqual(await ids('user:victim name:*'), [b]);
      assert.equal((await db.getTrace(a))?.[0]?.userId, 'mallory\u0001victim', 'the span keeps the value as sent');
    });
  });

  it('keeps content that is an attribute value once, and reads it back whole', async () => {
    await withStorage({}, async (db) => {
      const traceId = 'ab'.repeat(16);
      const prompt = `Summarize: ${'the refund policy says '.repeat(40)}`;
      const { rows } = normalizeRequest(
        request([
          span({ traceId, attrs: { 'openinference.span.kind': 'LLM', 'input.value': prompt, 'output.value': 'Refunds within 30 days.' } }),
          span({ traceId, attrs: { 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'hi', 'gen_ai.completion.0.content': 'hello' } }),
        ]),
        { nowNs: NOW_NS }
      );
      assert.equal(rows.length, 2);
      await db.applyBatch(rows, 1n);
      await db.checkpoint();

      const c = await db.connect();
      const stored = (await c.runAndReadAll('SELECT span_id, input_content, output_content FROM spans')).getRowObjectsJS();
      c.closeSync();
      const byId = new Map(stored.map((r) => [String(r.span_id), r]));
      const first = byId.get(rows[0]!.spanId)!;
      assert.ok(String(first.input_content).length < 40, `a reference, not the ${prompt.length}-character prompt`);
      assert.ok(String(first.output_content).length < 40);
      assert.deepEqual(JSON.parse(byId.get(rows[1]!.spanId)!.input_content as string), [{ role: 'user', content: 'hi' }], 'assembled content is kept as text');

      const trace = await db.getTrace(rows[0]!.traceId);
      const read = new Map(trace.map((r) => [r.spanId, r]));
      assert.equal(read.get(rows[0]!.spanId)!.inputContent, prompt);
      assert.equal(read.get(rows[0]!.spanId)!.outputContent, 'Refunds within 30 days.');
      assert.equal(JSON.parse(read.get(rows[0]!.spanId)!.attributes)['input.value'], prompt, 'the attribute itself is unchanged');
      assert.equal(read.get(rows[1]!.spanId)!.outputContent, rows[1]!.outputContent);
    });
  });
  it('creates files in the current storage format (ZSTD text), and keeps an older file in its own format, compressed', async () => {
    const spans = (n: number) =>
      normalizeRequest(request(Array.from({ length: n }, (_, i) => span({ attrs: { 'gen_ai.prompt': `Summarize ticket ${i % 50} for the on-call engineer. `.repeat(20) } }))), { nowNs: NOW_NS }).rows;
    /** Storage format, and the compression of the attributes column's segments. */
    const layout = async (db: DuckDbStorage) => {
      const c = await db.connect();
      try {
        const version = (await c.runAndReadAll(`SELECT tags['storage_version'] AS v FROM duckdb_databases() WHERE database_name = current_database()`)).getRowObjectsJS()[0]!.v;
        const methods = (await c.runAndReadAll(`SELECT DISTINCT compression AS m FROM pragma_storage_info('spans') WHERE column_name = 'attributes' AND segment_type <> 'VALIDITY'`))
          .getRowObjectsJS()
          .map((r) => String(r.m))
          .sort();
        return { version, methods };
      } finally {
        c.closeSync();
      }
    };
    await withStorage({}, async (db) => {
      await db.applyBatch(spans(300), 1n);
      await db.checkpoint();
      assert.deepEqual(await layout(db), { version: 'v1.5.0+', methods: ['ZSTD'] });
    });
    // Formats v1.3 and v1.4 (e.g. a file rewritten by the DuckDB CLI) refuse FSST for new data.
    await withStorage({ storageVersion: 'v1.3.0' }, async (db) => {
      await db.applyBatch(spans(300), 1n);
      await db.checkpoint();
      assert.deepEqual(await layout(db), { version: 'v1.3.0+', methods: ['ZSTD'] });
    });

    // A file of the earlier format (FSST) opens as it is; spans written after still compress.
    const dir = await makeTempDir();
    try {
      let db = await DuckDbStorage.open({ dataDir: dir, storageVersion: 'v1.0.0' });
      await db.applyBatch(spans(300), 1n);
      await db.close();
      db = await DuckDbStorage.open({ dataDir: dir });
      try {
        await db.applyBatch(spans(3000), 2n);
        await db.checkpoint();
        assert.deepEqual(await layout(db), { version: 'v1.0.0+', methods: ['FSST'] });
        assert.equal((await db.status()).spanCount, 3300);
      } finally {
        await db.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  it('creates files with 64 KiB blocks: a small apply after a checkpoint holds little memory; an older file keeps its blocks', async () => {
    const rows = (n: number) => normalizeRequest(request(Array.from({ length: n }, () => span())), { nowNs: NOW_NS }).rows;
    /** The file's block size, and the MB of uncheckpointed table data DuckDB holds after a small apply that follows a checkpoint. */
    const afterCheckpoint = async (db: DuckDbStorage, seq: bigint) => {
      await db.applyBatch(rows(300), seq);
      await db.checkpoint();
      await db.applyBatch(rows(300), seq + 1n);
      const c = await db.connect();
      try {
        const q = async (sql: string) => Number((await c.runAndReadAll(sql)).getRowObjectsJS()[0]!.v);
        return {
          blockSize: await q(`SELECT block_size AS v FROM pragma_database_size() WHERE database_name = current_database()`),
          inMemoryMb: (await q(`SELECT coalesce(sum(memory_usage_bytes), 0) AS v FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'`)) / 1e6,
        };
      } finally {
        c.closeSync();
      }
    };
    // Each table's first append after a checkpoint opens a row group of one block per column.
    let small = 0;
    await withStorage({}, async (db) => {
      const m = await afterCheckpoint(db, 1n);
      assert.equal(m.blockSize, 65536);
      small = m.inMemoryMb;
      assert.ok(small > 0 && small < 25, `${small} MB`);
    });
    // DuckDB's default blocks (files created before): several times as much, and kept on reopen.
    const dir = await makeTempDir();
    try {
      await (await DuckDbStorage.open({ dataDir: dir, blockSize: 262144 })).close();
      const db = await DuckDbStorage.open({ dataDir: dir });
      try {
        const m = await afterCheckpoint(db, 1n);
        assert.equal(m.blockSize, 262144);
        assert.ok(m.inMemoryMb > 3 * small, `${m.inMemoryMb} MB against ${small}`);
        assert.equal((await db.status()).spanCount, 600);
      } finally {
        await db.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  it('keeps the counts and extremes of sampled-out spans through an erasure; an extreme the erased span set is taken from the spans left', async () => {
    await withStorage({}, async (db) => {
      const traceId = 'ab'.repeat(16);
      const s = 1_000_000_000n;
      const at = (dur: bigint, user: string, t?: string) =>
        span({ ...(t ? { traceId: t } : {}), startTimeUnixNano: NOW_NS - 9n * s, endTimeUnixNano: NOW_NS - 9n * s + dur, attrs: { 'user.id': user } });
      const rows = normalizeRequest(request([at(s, 'kept', traceId), at(3n * s, 'erased', traceId), at(5n * s, 'sampled-out')]), { nowNs: NOW_NS }).rows;
      await applySampled(db, rows, 2);
      const rollup = () => perRollup(db, 'sum(n) AS n, sum(dur_n) AS dur_n, min(dur_min) AS lo, max(dur_max) AS hi');
      assert.deepEqual(await rollup(), Array(2).fill({ n: 3n, dur_n: 3n, lo: s, hi: 5n * s }));
      assert.equal(await db.deleteSpans({ userId: 'erased' }), 1);
      // The sampled-out span's 5 s maximum stays: the erased span (3 s) cannot have set it.
      assert.deepEqual(await rollup(), Array(2).fill({ n: 2n, dur_n: 2n, lo: s, hi: 5n * s }));
      // Erasing the 1 s span, which set the minimum: taken again from the spans left (none
      // stored: NULL), while the sampled-out span is still counted.
      assert.equal(await db.deleteSpans({ userId: 'kept' }), 1);
      assert.deepEqual(await rollup(), Array(2).fill({ n: 1n, dur_n: 1n, lo: null, hi: 5n * s }));
    });
  });

  it('retention keeps the counts of sampled-out spans after the cutoff in the bucket it cuts', async () => {
    await withStorage({}, async (db) => {
      const minute = (NOW_NS / 60_000_000_000n - 5n) * 60_000_000_000n;
      const s = 1_000_000_000n;
      const at = (offset: bigint, dur: bigint, user: string) => span({ startTimeUnixNano: minute + offset, endTimeUnixNano: minute + offset + dur, attrs: { 'user.id': user } });
      // Stored: 9 s at :10 (before the cutoff), 1 s at :40. Sampled out: 3 s at :50.
      const rows = normalizeRequest(request([at(10n * s, 9n * s, 'a'), at(40n * s, s, 'b'), at(50n * s, 3n * s, 'c')]), { nowNs: NOW_NS }).rows;
      await applySampled(db, rows, 2);
      const rollup = () => perRollup(db, 'sum(n) AS n, sum(dur_sum) AS dur, max(dur_max) AS hi');
      assert.deepEqual(await rollup(), Array(2).fill({ n: 3n, dur: 13n * s, hi: 9n * s }));
      assert.equal(await db.deleteBefore(minute + 30n * s), 1);
      // The 1 s span and the sampled-out 3 s one are left; the 9 s maximum was the deleted span's.
      assert.deepEqual(await rollup(), Array(2).fill({ n: 2n, dur: 4n * s, hi: s }));
      assert.equal((await db.status()).spanCount, 1);
    });
  });
});
