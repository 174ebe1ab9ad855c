// ClickHouse-only storage details: the generated DDL of both layouts (no cluster runs here, so
// the cluster variant is checked as text), and on the real engine (chdb) the deduplication of
// retried inserts, exact ns values, migrations, TTL and deletes by user/session.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSearch } from '../../search/parser.js';
import { randomTraces } from '../../testing/spans.js';
import { allStatements, Ddl, MIGRATIONS, migrationsTableDdl } from './schema.js';
import { ClickHouseStorage, dedupToken, rowsDigest } from './storage.js';

describe('ClickHouse DDL', () => {
  it('creates plain MergeTree tables on a single node', () => {
    const sql = allStatements({ database: 'pf' });
    assert.ok(sql.every((s) => !s.includes('ON CLUSTER') && !s.includes('Replicated') && !s.includes('Distributed')));
    const spans = sql.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS pf.spans '))!;
    assert.match(spans, /ENGINE = MergeTree\(\) PARTITION BY toDate\(toDateTime\(intDiv\(start_ns, 1000000000\), 'UTC'\)\)/);
    assert.match(spans, /ORDER BY \(intDiv\(start_ns, 3600000000000\), service, start_ns\)/);
    assert.match(spans, /INDEX idx_trace_id trace_id TYPE bloom_filter\(0\.001\) GRANULARITY 1/);
    assert.match(spans, /non_replicated_deduplication_window = \d+/);
    assert.match(spans, /start_ns Int64/);
    assert.ok(sql.some((s) => /^CREATE MATERIALIZED VIEW IF NOT EXISTS pf\.rollup_1m_mv TO pf\.rollup_1m AS SELECT/.test(s)));
    assert.ok(sql.some((s) => /pf\.rollup_1m .*ENGINE = AggregatingMergeTree\(\)/s.test(s)));
    assert.ok(sql.some((s) => /pf\.budgets .*ENGINE = ReplacingMergeTree\(version, deleted\)/s.test(s)));
    assert.ok(!sql.some((s) => s.includes('MODIFY TTL')), 'no TTL without retention');
    // Sampled-out spans: a Null table whose views feed the same rollups.
    const counted = sql.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS pf.spans_counted '))!;
    assert.match(counted, /ENGINE = Null$/);
    assert.doesNotMatch(counted, /attributes|input_content|CODEC/);
    for (const r of ['rollup_1m', 'rollup_1h']) {
      assert.ok(sql.some((s) => s.startsWith(`CREATE MATERIALIZED VIEW IF NOT EXISTS pf.${r}_counted_mv TO pf.${r} AS SELECT`) && s.includes('FROM pf.spans_counted')), r);
    }
  });

  it('creates Replicated local tables and Distributed tables ON CLUSTER for a cluster', () => {
    const sql = allStatements({ database: 'pf', cluster: 'two_shards', retentionDays: 30 });
    assert.ok(sql.every((s) => s.includes(' ON CLUSTER two_shards')), 'every statement runs on the whole cluster');
    const local = sql.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS pf.spans_local '))!;
    assert.match(local, /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/pf\/spans', '\{replica\}'\)/);
    assert.match(local, /bloom_filter/);
    const dist = sql.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS pf.spans '))!;
    assert.equal(dist, 'CREATE TABLE IF NOT EXISTS pf.spans ON CLUSTER two_shards AS pf.spans_local ENGINE = Distributed(two_shards, pf, spans_local, cityHash64(trace_id))');
    for (const r of ['rollup_1m', 'rollup_1h']) {
      assert.ok(sql.some((s) => s.includes(`pf.${r}_local ON CLUSTER two_shards (`) && s.includes(`ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/pf/${r}', '{replica}')`)), r);
      assert.ok(sql.some((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS pf.${r} ON CLUSTER two_shards AS pf.${r}_local ENGINE = Distributed(two_shards, pf, ${r}_local, rand())`)), r);
      // The view runs on each node over the rows inserted there.
      assert.ok(sql.some((s) => s.startsWith(`CREATE MATERIALIZED VIEW IF NOT EXISTS pf.${r}_local_mv ON CLUSTER two_shards TO pf.${r}_local AS SELECT`) && s.includes('FROM pf.spans_local')), r);
    }
    // Sampled-out spans: Null per node, sharded like the spans, views into the local rollups.
    assert.ok(sql.includes('CREATE TABLE IF NOT EXISTS pf.spans_counted ON CLUSTER two_shards AS pf.spans_counted_local ENGINE = Distributed(two_shards, pf, spans_counted_local, cityHash64(trace_id))'));
    assert.ok(sql.some((s) => s.startsWith('CREATE TABLE IF NOT EXISTS pf.spans_counted_local ON CLUSTER two_shards (') && s.endsWith('ENGINE = Null')));
    for (const r of ['rollup_1m', 'rollup_1h']) {
      assert.ok(sql.some((s) => s.startsWith(`CREATE MATERIALIZED VIEW IF NOT EXISTS pf.${r}_local_counted_mv ON CLUSTER two_shards TO pf.${r}_local AS SELECT`) && s.includes('FROM pf.spans_counted_local')), r);
    }
    // Small tables: one replica set over the whole cluster, read directly (no Distributed).
    const budgets = sql.find((s) => s.includes('pf.budgets ON CLUSTER'))!;
    assert.match(budgets, /ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/all\/pf\/budgets', '\{replica\}', version, deleted\)/);
    assert.ok(!sql.some((s) => s.includes('budgets_local') || s.includes('api_keys_local')));
    assert.ok(sql.some((s) => s === "ALTER TABLE pf.spans_local ON CLUSTER two_shards MODIFY TTL toDateTime(intDiv(start_ns, 1000000000), 'UTC') + toIntervalDay(30)"));
  });
});

/** Requests counted for the hour from `fromMs` (and where the answer came from). */
async function requestsInHour(s: ClickHouseStorage, fromMs: number): Promise<{ n: number; source: string }> {
  const agg = await s.aggregate({
    fromNs: BigInt(fromMs) * 1_000_000n,
    toNs: BigInt(fromMs + 3_600_000) * 1_000_000n,
    groupBy: [],
    filter: null,
    spans: 'all',
    measures: [{ metric: 'requests' }],
  });
  return { n: agg.rows.reduce((sum, r) => sum + Number(r.values[0]), 0), source: agg.source };
}

describe('ClickHouseStorage on chdb', () => {
  // Recent times: the 7-day TTL drops older rows as they are inserted.
  const HOUR0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 24 * 3_600_000;
  let dir: string;
  let db: ClickHouseStorage;
  const settings = () => ({ url: `chdb:${dir}`, username: 'default', password: '', database: 'pf_ch', cluster: undefined });
  /** Runs `fn` on a storage of its own database, closed afterwards. */
  const withDatabase = async (database: string, fn: (s: ClickHouseStorage) => Promise<void>) => {
    const s = await ClickHouseStorage.open({ settings: { ...settings(), database } });
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-ch-'));
    db = await ClickHouseStorage.open({ settings: settings(), retentionDays: 7 });
  });
  after(async () => {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('records its migrations once and sets the retention TTL', async () => {
    const again = await ClickHouseStorage.open({ settings: settings(), retentionDays: 7 });
    await again.close();
    const m = await db.rows('SELECT version, count() AS n FROM pf_ch.schema_migrations GROUP BY version ORDER BY version');
    assert.deepEqual(m, [
      { version: 1, n: '1' },
      { version: 2, n: '1' },
      { version: 3, n: '1' },
    ]);
    const t = await db.rows("SELECT engine_full FROM system.tables WHERE database = 'pf_ch' AND name = 'spans'");
    assert.match(String(t[0]!.engine_full), /TTL toDateTime\(intDiv\(start_ns, 1000000000\), 'UTC'\) \+ toIntervalDay\(7\)/);
  });

  it('upgrades a version-1 database: sampled-out spans then reach the rollups', async () => {
    const d = new Ddl({ database: 'pf_v1' });
    await db.client.command({ query: 'CREATE DATABASE IF NOT EXISTS pf_v1' });
    for (const sql of [...migrationsTableDdl(d), ...MIGRATIONS[0]!(d), 'INSERT INTO pf_v1.schema_migrations (version) VALUES (1)']) {
      await db.client.command({ query: sql });
    }
    await withDatabase('pf_v1', async (old) => {
      const rows = randomTraces(5, 10, HOUR0, 600_000);
      await old.insertCounted(rows);
      await old.insertCounted(rows); // same default token: once
      assert.equal((await requestsInHour(old, HOUR0)).n, rows.length);
      assert.equal((await old.status()).spanCount, 0, 'nothing stored raw');
    });
  });

  it('upgrades a version-2 database to 128-bit rollup sums: durations of spans from 1970 sum exactly', async () => {
    const d = new Ddl({ database: 'pf_v2' });
    await db.client.command({ query: 'CREATE DATABASE IF NOT EXISTS pf_v2' });
    for (const sql of [...migrationsTableDdl(d), ...MIGRATIONS[0]!(d), ...MIGRATIONS[1]!(d), 'INSERT INTO pf_v2.schema_migrations (version) VALUES (1), (2)']) {
      await db.client.command({ query: sql });
    }
    // A span stored before the upgrade stays counted.
    const [before] = randomTraces(31, 1, HOUR0, 1000);
    await db.client.command({ query: `INSERT INTO pf_v2.rollup_1m (bucket_ms, service, n, dur_sum, dur_n) VALUES (${HOUR0}, 'old', 1, 5, 1)` });
    await withDatabase('pf_v2', async (up) => {
      const types = await up.rows("SELECT DISTINCT type FROM system.columns WHERE database = 'pf_v2' AND table IN ('rollup_1m', 'rollup_1h') AND name LIKE '%\\_sum'");
      assert.deepEqual(types, [{ type: 'SimpleAggregateFunction(sum, Int128)' }]);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const rows = randomTraces(32, 2, 0, 1).map((r) => ({ ...before!, ...r, service: 'clock-reset', startNs: 1n, endNs: nowNs, durationNs: nowNs - 1n }));
      await up.insertSpans(rows);
      await up.insertCounted([{ ...rows[0]!, traceId: 'f'.repeat(32) }]);
      const stored = BigInt(rows.length);
      const expected = (stored + 1n) * (nowNs - 1n);
      assert.ok(expected > 2n ** 63n);
      const sums = await up.rows("SELECT toString(sum(dur_sum)) AS s, sum(n) AS n FROM pf_v2.rollup_1m WHERE service = 'clock-reset'");
      assert.deepEqual(sums, [{ s: String(expected), n: String(stored + 1n) }]);
      const q = { fromNs: 0n, toNs: 3_600_000_000_000n, groupBy: [], spans: 'all' as const, measures: [{ metric: 'dur' as const, fn: 'sum' as const }] };
      const fromRollup = await up.aggregate({ ...q, filter: null });
      assert.match(fromRollup.source, /rollup/);
      assert.equal(fromRollup.rows[0]!.values[0], Number(expected));
      // The raw spans (the sampled-out one is in the rollups only).
      const raw = await up.aggregate({ ...q, filter: parseSearch('name:*') });
      assert.equal(raw.source, 'raw');
      assert.equal(raw.rows[0]!.values[0], Number(stored * (nowNs - 1n)));
      const old = await up.rows(`SELECT sum(dur_sum) AS s FROM pf_v2.rollup_1m WHERE service = 'old'`);
      assert.deepEqual(old, [{ s: '5' }]);
    });
  });

  it('retention drops the rollup buckets of sampled-out spans older than the cutoff when no stored span is that old', async () => {
    await withDatabase('pf_ret', async (ret) => {
      const old = randomTraces(41, 10, HOUR0, 600_000);
      const recent = randomTraces(42, 10, HOUR0 + 2 * 3_600_000, 600_000);
      await ret.insertCounted(old);
      await ret.insertSpans(recent);
      const requests = async (fromMs: number) => (await requestsInHour(ret, fromMs)).n;
      assert.equal(await requests(HOUR0), old.length);
      assert.equal(await ret.deleteBefore(BigInt(HOUR0 + 3_600_000) * 1_000_000n), 0);
      assert.equal(await requests(HOUR0), 0);
      for (const t of ['rollup_1m', 'rollup_1h']) {
        assert.deepEqual(await ret.rows(`SELECT count() AS n FROM pf_ret.${t} WHERE bucket_ms < ${HOUR0 + 3_600_000}`), [{ n: '0' }], t);
      }
      assert.equal(await requests(HOUR0 + 2 * 3_600_000), recent.length);
      assert.equal((await ret.status()).spanCount, recent.length);
    });
  });

  /** Spans of one rollup group (same dims, all roots) in the minute from `minuteMs`: [offset s, duration s, user]. */
  const oneGroup = (seed: number, minuteMs: number, spans: ReadonlyArray<[number, number, string]>) => {
    const [base] = randomTraces(seed, 1, minuteMs, 1000);
    const S = 1_000_000_000n;
    return spans.map(([offset, dur, user], i) => {
      const startNs = BigInt(minuteMs) * 1_000_000n + BigInt(offset) * S;
      return { ...base!, traceId: `${seed}`.padStart(2, '0').repeat(16), spanId: `${i + 1}`.padStart(16, '0'), parentSpanId: '', startNs, endNs: startNs + BigInt(dur) * S, durationNs: BigInt(dur) * S, userId: user };
    });
  };
  /** `x` seconds in ns, as ClickHouse's JSON writes 64-bit integers. */
  const sec = (x: number) => String(BigInt(x) * 1_000_000_000n);
  /** `select` over each time-rollup table of database `db` (1m, 1h). */
  const perRollup = async (s: ClickHouseStorage, db: string, select: string) => {
    const out: unknown[] = [];
    for (const t of ['rollup_1m', 'rollup_1h']) {
      out.push((await s.rows(`SELECT ${select} FROM ${db}.${t}`))[0]);
    }
    return out;
  };

  it('keeps the counts and extremes of sampled-out spans through an erasure; an extreme the erased span set is taken from the spans left', async () => {
    await withDatabase('pf_erase', async (s) => {
      const [kept, erased, sampled] = oneGroup(52, HOUR0 + 60_000, [
        [0, 1, 'kept'],
        [0, 3, 'erased'],
        [0, 5, 'sampled-out'],
      ]);
      await s.insertSpans([kept!, erased!]);
      await s.insertCounted([sampled!]);
      const rollup = () => perRollup(s, 'pf_erase', 'sum(n) AS n, sum(dur_n) AS dur_n, min(dur_min) AS lo, max(dur_max) AS hi');
      assert.deepEqual(await rollup(), Array(2).fill({ n: '3', dur_n: '3', lo: sec(1), hi: sec(5) }));
      assert.equal(await s.deleteSpans({ userId: 'erased' }), 1);
      // The sampled-out span's 5 s maximum stays: the erased span (3 s) cannot have set it.
      assert.deepEqual(await rollup(), Array(2).fill({ n: '2', dur_n: '2', lo: sec(1), hi: sec(5) }));
      // Erasing the 1 s span, which set the minimum: taken again from the spans left (none
      // stored: NULL), while the sampled-out span is still counted.
      assert.equal(await s.deleteSpans({ userId: 'kept' }), 1);
      assert.deepEqual(await rollup(), Array(2).fill({ n: '1', dur_n: '1', lo: null, hi: sec(5) }));
    });
  });

  it('erases a user seen in more minutes than one round of the rollup correction takes, keeping the sampled-out spans counted', async () => {
    await withDatabase('pf_many', async (s) => {
      // One span of the user and one sampled-out span in each of 1,100 minutes (3 rounds of 500).
      const minutes = 1100;
      const from = HOUR0 - 24 * 3_600_000;
      const stored = Array.from({ length: minutes }, (_, i) => oneGroup(54, from + i * 60_000, [[0, 2, 'busy']])[0]!).map((r, i) => ({ ...r, spanId: `${i + 1}`.padStart(16, 'a') }));
      const sampled = Array.from({ length: minutes }, (_, i) => oneGroup(54, from + i * 60_000, [[1, 3, 'other']])[0]!).map((r, i) => ({ ...r, spanId: `${i + 1}`.padStart(16, 'b') }));
      await s.insertSpans(stored);
      await s.insertCounted(sampled);
      const rollup = () => perRollup(s, 'pf_many', 'sum(n) AS n, sum(dur_sum) AS dur, min(dur_min) AS lo');
      assert.deepEqual(await rollup(), Array(2).fill({ n: String(2 * minutes), dur: sec(5 * minutes), lo: sec(2) }));
      assert.equal(await s.deleteSpans({ userId: 'busy' }), minutes);
      // The 2 s minimum was the erased spans': none stored is left, so NULL.
      assert.deepEqual(await rollup(), Array(2).fill({ n: String(minutes), dur: sec(3 * minutes), lo: null }));
    });
  });

  it('retention keeps the counts of sampled-out spans after the cutoff in the bucket it cuts', async () => {
    await withDatabase('pf_cut', async (s) => {
      const minute = HOUR0 + 5 * 60_000;
      // Stored: 9 s at :10 (before the cutoff), 1 s at :40. Sampled out: 3 s at :50.
      const [a, b, c] = oneGroup(53, minute, [
        [10, 9, 'a'],
        [40, 1, 'b'],
        [50, 3, 'c'],
      ]);
      await s.insertSpans([a!, b!]);
      await s.insertCounted([c!]);
      const rollup = () => perRollup(s, 'pf_cut', 'sum(n) AS n, sum(dur_sum) AS dur, max(dur_max) AS hi');
      assert.deepEqual(await rollup(), Array(2).fill({ n: '3', dur: sec(13), hi: sec(9) }));
      assert.equal(await s.deleteBefore(BigInt(minute + 30_000) * 1_000_000n), 1);
      // The 1 s span and the sampled-out 3 s one are left; the 9 s maximum was the deleted span's.
      assert.deepEqual(await rollup(), Array(2).fill({ n: '2', dur: sec(4), hi: sec(1) }));
      assert.equal((await s.status()).spanCount, 1);
    });
  });

  it('stores a retried insert once, in the spans and in the rollups', async () => {
    const rows = randomTraces(3, 20, HOUR0, 600_000);
    const token = dedupToken([rowsDigest(rows.slice(0, 50)), rowsDigest(rows.slice(50))]);
    await db.insertSpans(rows, token);
    await db.insertSpans(rows, token);
    // The same rows batched with the request parts in another order: same token.
    await db.insertSpans(rows, dedupToken([rowsDigest(rows.slice(50)), rowsDigest(rows.slice(0, 50))]));
    assert.equal((await db.status()).spanCount, rows.length);
    assert.deepEqual(await requestsInHour(db, HOUR0), { n: rows.length, source: 'rollup' });
    // Different rows are not mistaken for a retry.
    const more = randomTraces(4, 5, HOUR0, 600_000);
    await db.insertSpans(more);
    assert.equal((await db.status()).spanCount, rows.length + more.length);
  });

  it('keeps ns timestamps exact beyond 2^53', async () => {
    const [r] = randomTraces(9, 1, HOUR0, 1000);
    const startNs = BigInt(HOUR0) * 1_000_000n + 123_456_789n; // sub-µs digits, > 2^53
    await db.insertSpans([{ ...r!, startNs, endNs: startNs + 1n, durationNs: 1n }]);
    const back = await db.getTrace(r!.traceId);
    assert.equal(back[0]!.startNs, startNs);
    assert.equal(back[0]!.endNs, startNs + 1n);
  });

  it('deletes the spans of a user or session', async () => {
    const rows = randomTraces(21, 30, HOUR0, 600_000).map((r, i) => ({ ...r, userId: i % 3 === 0 ? 'gone' : r.userId }));
    await db.insertSpans(rows);
    const before = (await db.status()).spanCount;
    const n = await db.deleteSpans({ userId: 'gone' });
    assert.equal(n, rows.filter((r) => r.userId === 'gone').length);
    assert.equal((await db.status()).spanCount, before - n);
    assert.equal(await db.deleteSpans({ userId: 'gone' }), 0);
    await assert.rejects(db.deleteSpans({}), /userId or a sessionId/);
    // Both ids: the spans of the user OR of the session (the Storage contract, as on DuckDB).
    const more = randomTraces(22, 30, HOUR0, 600_000).map((r, i) => ({ ...r, userId: i % 4 === 0 ? 'u-x' : null, sessionId: i % 4 === 1 ? 's-x' : null }));
    await db.insertSpans(more);
    const both = await db.deleteSpans({ userId: 'u-x', sessionId: 's-x' });
    assert.equal(both, more.filter((r) => r.userId === 'u-x' || r.sessionId === 's-x').length);
    // The rollups stop counting erased spans: whole minutes are answered from them.
    const range = { fromNs: BigInt(HOUR0) * 1_000_000n, toNs: BigInt(HOUR0 + 3_600_000) * 1_000_000n };
    const fromRollup = await db.aggregate({ ...range, groupBy: ['model'], filter: null, spans: 'all', measures: [{ metric: 'requests' }] });
    assert.match(fromRollup.source, /rollup/);
    // The same question over the raw spans (a name term is answered there only).
    const fromSpans = await db.aggregate({ ...range, groupBy: ['model'], filter: parseSearch('name:*'), spans: 'all', measures: [{ metric: 'requests' }] });
    assert.equal(fromSpans.source, 'raw');
    const byModel = (a: typeof fromRollup) => new Map(a.rows.map((x) => [x.labels[0] ?? '', x.values[0]]));
    assert.deepEqual(byModel(fromRollup), byModel(fromSpans));
    assert.ok(both > 0);
  });
});
