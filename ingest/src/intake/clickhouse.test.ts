// The ClickHouse intake against the real engine (chdb): batching of concurrent requests,
// acknowledgement after the insert, retries that land once, and 503 while ClickHouse fails
// then recovery. Faults are injected around the real storage: an insert that reaches ClickHouse
// and then "loses its connection", or one that fails outright. Sampling: sampled-out spans are
// counted in the rollups (spans_counted) but not stored, checked against an unsampled copy.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OverloadedError, StorageRefusedError } from '../errors.js';
import { SAMPLING_OFF, Sampler } from '../sampling/index.js';
import { ClickHouseStorage } from '../storage/clickhouse/storage.js';
import type { AggregateQuery, SpanRow } from '../storage/types.js';
import { randomTraces } from '../testing/spans.js';
import { ClickHouseIntake, type ClickHouseSink } from './clickhouse.js';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ClickHouseIntake on chdb', () => {
  let dir: string;
  let db: ClickHouseStorage;
  let mode: 'ok' | 'lostAck' | 'lostCountedAck' | 'down' = 'ok';
  const inserts: number[] = [];
  const countedInserts: number[] = [];
  /** The storage the sink writes to (a second database for the sampling tests). */
  let target: () => ClickHouseStorage = () => db;
  const sink: ClickHouseSink = {
    async insertSpans(rows, token) {
      if (mode === 'down') {
        throw new Error('connect ECONNREFUSED');
      }
      await target().insertSpans(rows, token);
      inserts.push(rows.length);
      if (mode === 'lostAck') {
        mode = 'ok';
        throw new Error('socket hang up');
      }
    },
    async insertCounted(rows, token) {
      if (mode === 'down') {
        throw new Error('connect ECONNREFUSED');
      }
      await target().insertCounted(rows, token);
      countedInserts.push(rows.length);
      if (mode === 'lostCountedAck') {
        mode = 'ok';
        throw new Error('socket hang up');
      }
    },
    ping: async () => {
      if (mode === 'down') {
        throw new Error('connect ECONNREFUSED');
      }
      await db.ping();
    },
  };
  const T = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const count = async () => (await db.status()).spanCount;
  const batch = (seed: number) => randomTraces(seed, 3, T, 60_000);

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-chintake-'));
    db = await ClickHouseStorage.open({ settings: { url: `chdb:${dir}`, username: 'default', password: '', database: 'pf_intake', cluster: undefined } });
  });
  after(async () => {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('batches concurrent requests into one insert and acknowledges after it', async () => {
    const intake = new ClickHouseIntake({ sink, log, queueMaxSpans: 1e6, queueMaxBytes: 1e9, lingerMs: 20 });
    const reqs = Array.from({ length: 8 }, (_, i) => batch(100 + i));
    inserts.length = 0;
    await Promise.all(reqs.map((r) => intake.submit(r)));
    assert.equal(inserts.length, 1, `one insert for 8 concurrent requests, got ${inserts.join(',')}`);
    assert.equal(await count(), reqs.reduce((a, r) => a + r.length, 0));
    assert.equal(intake.queueDepth, 0);
    await intake.close();
  });

  it('retries an insert whose acknowledgement was lost without storing it twice', async () => {
    const intake = new ClickHouseIntake({ sink, log, queueMaxSpans: 1e6, queueMaxBytes: 1e9, lingerMs: 1 });
    const before = await count();
    const rows: SpanRow[] = batch(200);
    mode = 'lostAck';
    inserts.length = 0;
    await intake.submit(rows);
    assert.equal(inserts.length, 2, 'the insert was sent twice');
    assert.equal(await count(), before + rows.length, 'and stored once');
    // A client retrying the same request later is deduplicated too (same content, same token).
    await intake.submit(rows);
    assert.equal(await count(), before + rows.length);
    await intake.close();
  });

  it('answers 503 while ClickHouse is down and accepts again when it is back', async () => {
    const intake = new ClickHouseIntake({ sink, log, queueMaxSpans: 1e6, queueMaxBytes: 1e9, lingerMs: 1, retryForMs: 300, retryAfterSeconds: 3 });
    const before = await count();
    mode = 'down';
    const rows = batch(300);
    await assert.rejects(intake.submit(rows), (e: unknown) => e instanceof OverloadedError && e.status === 503 && e.retryAfterSeconds === 3);
    assert.equal(intake.unavailable, true);
    // Refused at once while down, before reading the body.
    const t0 = Date.now();
    await assert.rejects(intake.reserve(100, 1000), (e: unknown) => e instanceof OverloadedError && e.status === 503);
    assert.ok(Date.now() - t0 < 200);
    mode = 'ok';
    const until = Date.now() + 5_000;
    while (intake.unavailable && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(intake.unavailable, false, 'the probe noticed ClickHouse is back');
    await intake.submit(rows);
    assert.equal(await count(), before + rows.length);
    await intake.close();
  });

  it('answers 400 to the one request ClickHouse refuses for its data; the others in its batch are stored', async () => {
    const refused: number[] = [];
    const intake = new ClickHouseIntake({ sink, log, queueMaxSpans: 1e6, queueMaxBytes: 1e9, lingerMs: 20, onRefused: (n) => refused.push(n) });
    const before = await count();
    const reqs = Array.from({ length: 4 }, (_, i) => batch(400 + i));
    // A token count no Int64 column holds: the real engine refuses the insert ("Cannot parse input").
    reqs[2]![0]!.inputTokens = 2 ** 70;
    inserts.length = 0;
    const results = await Promise.allSettled(reqs.map((r) => intake.submit(r)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']
    );
    const err = (results[2] as PromiseRejectedResult).reason as StorageRefusedError;
    assert.ok(err instanceof StorageRefusedError && err.status === 400, String(err));
    assert.match(err.message, /storage refused the spans of this request: .*input_tokens/);
    assert.deepEqual(refused, [reqs[2]!.length]);
    assert.equal(await count(), before + reqs[0]!.length + reqs[1]!.length + reqs[3]!.length);
    assert.equal(intake.unavailable, false, 'refused data is not an outage');
    await intake.submit(batch(410));
    await intake.close();
  });

  describe('with sampling', () => {
    // Whole minutes and hours: the aggregate is answered from the rollups only (no raw edges,
    // which see kept spans only, on DuckDB too).
    const H = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
    let full: ClickHouseStorage;
    let sampled: ClickHouseStorage;
    const sampler = new Sampler({ ...SAMPLING_OFF, rate: 0.1, keepErrors: false });
    const all = randomTraces(77, 400, H + 60_000, 90 * 60_000);
    /** The rows of one request: a slice of whole traces. */
    const requests: SpanRow[][] = [];
    for (let i = 0; i < all.length; ) {
      let j = Math.min(all.length, i + 150);
      while (j < all.length && all[j]!.traceId === all[j - 1]!.traceId) {
        j++;
      }
      requests.push(all.slice(i, j));
      i = j;
    }
    const split = (rows: SpanRow[]) => {
      const kept: SpanRow[] = [];
      const counted: SpanRow[] = [];
      sampler.route(rows, { keep: (r) => kept.push(r), drop: (r) => counted.push(r) });
      return { kept, counted };
    };
    const queries: AggregateQuery[] = [
      { fromNs: BigInt(H) * 1_000_000n, toNs: BigInt(H + 3 * 3_600_000) * 1_000_000n, groupBy: [], filter: null, spans: 'all', measures: [] },
      { fromNs: BigInt(H) * 1_000_000n, toNs: BigInt(H + 3 * 3_600_000) * 1_000_000n, groupBy: ['service', 'model'], filter: null, spans: 'llm', measures: [] },
      // Minute steps over a range that is not whole hours: the 1-minute rollup.
      { fromNs: BigInt(H + 30 * 60_000) * 1_000_000n, toNs: BigInt(H + 95 * 60_000) * 1_000_000n, stepMs: 300_000, groupBy: ['service'], filter: null, spans: 'all', measures: [] },
    ].map((q) => ({
      ...(q as AggregateQuery),
      measures: [
        { metric: 'requests' },
        { metric: 'errors' },
        { metric: 'usage' },
        { metric: 'unpriced' },
        { metric: 'cost', fn: 'sum' },
        { metric: 'in', fn: 'sum' },
        { metric: 'total', fn: 'sum' },
        { metric: 'dur', fn: 'avg' },
      ],
    }));
    const totals = async (s: ClickHouseStorage) => Promise.all(queries.map((q) => s.aggregate(q)));

    before(async () => {
      const settings = (database: string) => ({ url: `chdb:${dir}`, username: 'default', password: '', database, cluster: undefined });
      full = await ClickHouseStorage.open({ settings: settings('pf_full') });
      sampled = await ClickHouseStorage.open({ settings: settings('pf_sampled') });
      await full.insertSpans(all);
      target = () => sampled;
    });
    after(async () => {
      target = () => db;
      await full.close();
      await sampled.close();
    });

    it('stores only the kept traces and still counts every span in the rollups (rate 0.1)', async () => {
      const intake = new ClickHouseIntake({ sink, log, queueMaxSpans: 1e6, queueMaxBytes: 1e9, lingerMs: 5 });
      inserts.length = 0;
      countedInserts.length = 0;
      await Promise.all(requests.map((r) => split(r)).map(({ kept, counted }) => intake.submit(kept, counted)));
      await intake.close();
      const keptIds = new Set(requests.flatMap((r) => split(r).kept.map((k) => k.traceId)));
      const allIds = new Set(all.map((r) => r.traceId));
      assert.ok(keptIds.size > 0.05 * allIds.size && keptIds.size < 0.15 * allIds.size, `kept ${keptIds.size} of ${allIds.size} traces`);
      assert.ok(countedInserts.length > 0, 'sampled-out spans went to spans_counted');
      // Raw: exactly the kept traces.
      const stored = await sampled.rows('SELECT DISTINCT trace_id AS t FROM pf_sampled.spans');
      assert.deepEqual(new Set(stored.map((r) => String(r.t))), keptIds);
      assert.equal((await sampled.status()).spanCount, all.filter((r) => keptIds.has(r.traceId)).length);
      assert.equal((await full.status()).spanCount, all.length);
      // Rollups: the totals of the unsampled copy.
      const [a, b] = [await totals(full), await totals(sampled)];
      assert.equal(b[0]!.source, 'rollup');
      assert.equal(b[0]!.rows[0]!.values[0], all.length);
      assert.ok(Number(b[0]!.rows[0]!.values[4]) > 0, 'some cost');
      assert.deepEqual(b, a);
    });

    it('counts a retried batch once, whichever of its two inserts lost its acknowledgement', async () => {
      // Fresh traces, one request per insert (a request merged with others gets another token).
      const more = randomTraces(78, 40, H + 60_000, 90 * 60_000);
      const half = more.findIndex((r, i) => i >= more.length / 2 && r.traceId !== more[i - 1]!.traceId);
      const reqs = [more.slice(0, half), more.slice(half)];
      await full.insertSpans(more);
      const keptBefore = (await sampled.status()).spanCount;
      const intake = new ClickHouseIntake({ sink, log, queueMaxSpans: 1e6, queueMaxBytes: 1e9, lingerMs: 1 });
      let kept = 0;
      for (const [i, m] of (['lostAck', 'lostCountedAck'] as const).entries()) {
        const split1 = split(reqs[i]!);
        assert.ok(split1.kept.length > 0 && split1.counted.length > 0, 'both inserts happen');
        kept += split1.kept.length;
        inserts.length = 0;
        countedInserts.length = 0;
        mode = m;
        await intake.submit(split1.kept, split1.counted);
        assert.equal(mode, 'ok', 'the fault fired');
        // Spans insert lost: the retry sends both; counted insert lost: both went twice.
        assert.deepEqual([inserts.length, countedInserts.length], m === 'lostAck' ? [2, 1] : [2, 2], m);
        // And the client retries the request it got no answer for.
        await intake.submit(split1.kept, split1.counted);
      }
      await intake.close();
      assert.equal((await sampled.status()).spanCount, keptBefore + kept);
      assert.deepEqual(await totals(sampled), await totals(full));
    });
  });
});
