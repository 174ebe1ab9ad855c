// The ClickHouse intake against the real engine (chdb): batching of concurrent requests,
// acknowledgement after the insert, retries that land once, and 503 while ClickHouse fails
// then recovery. Faults are injected around the real storage: an insert that reaches ClickHouse
// and then "loses its connection", or one that fails outright.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OverloadedError } from '../errors.js';
import { ClickHouseStorage } from '../storage/clickhouse/storage.js';
import type { SpanRow } from '../storage/types.js';
import { randomTraces } from '../testing/spans.js';
import { ClickHouseIntake, type ClickHouseSink } from './clickhouse.js';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ClickHouseIntake on chdb', () => {
  let dir: string;
  let db: ClickHouseStorage;
  let mode: 'ok' | 'lostAck' | 'down' = 'ok';
  const inserts: number[] = [];
  const sink: ClickHouseSink = {
    async insertSpans(rows, token) {
      if (mode === 'down') {
        throw new Error('connect ECONNREFUSED');
      }
      await db.insertSpans(rows, token);
      inserts.push(rows.length);
      if (mode === 'lostAck') {
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
});
