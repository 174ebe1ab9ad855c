// Erasure (GDPR): the admin endpoint deletes a user's / session's spans, corrects the rollups,
// and leaves an audit record without the ids themselves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hex, jsonBody } from '../testing/otlp.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { auth, getJson, makeTempDir, postJson, startTestService, type TestService } from '../testing/service.js';

// deletion.clickhouse.test.ts runs this same file with the service on ClickHouse (chdb).
const BACKEND = process.env.PYFLARE_TEST_DELETION_STORAGE === 'clickhouse' ? { storage: 'clickhouse' as const } : {};

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;

const HOUR = 60 * MIN;

/** Min and max span duration (ms) from the rollups: over minutes around T0, and over whole hours (the hourly rollup). */
async function durationRange(svc: TestService): Promise<Array<[number | null, number | null]>> {
  const ranges = [
    [T0 - 10 * MIN, T0 + 10 * MIN],
    [Math.floor(T0 / HOUR) * HOUR - HOUR, Math.floor(T0 / HOUR) * HOUR + HOUR],
  ];
  const out: Array<[number | null, number | null]> = [];
  for (const [from, to] of ranges) {
    const r = await svc.service.storage.aggregate({
      fromNs: BigInt(from!) * 1_000_000n,
      toNs: BigInt(to!) * 1_000_000n,
      groupBy: [],
      filter: null,
      spans: 'all',
      measures: [
        { metric: 'dur', fn: 'min' },
        { metric: 'dur', fn: 'max' },
      ],
    });
    assert.match(r.source, /^rollup/);
    const ms = (v: number | null | undefined) => (v === null || v === undefined ? null : v / 1e6);
    out.push([ms(r.rows[0]?.values[0]), ms(r.rows[0]?.values[1])]);
  }
  return out;
}

async function requests(svc: TestService): Promise<{ n: number; source: string }> {
  const r = await svc.service.storage.aggregate({
    fromNs: BigInt(T0 - 10 * MIN) * 1_000_000n,
    toNs: BigInt(T0 + 10 * MIN) * 1_000_000n,
    groupBy: [],
    filter: null,
    spans: 'all',
    measures: [{ metric: 'requests' }],
  });
  return { n: Number(r.rows[0]?.values[0] ?? 0), source: r.source };
}

describe('erasure requests', () => {
  it('deletes a user and a session, fixes the rollups, audits without the ids', async () => {
    const svc = await startTestService(BACKEND);
    try {
      assert.equal(svc.service.storage.kind, BACKEND.storage ?? 'duckdb');
      const [a, b, c] = [hex(16), hex(16), hex(16)];
      const body = jsonBody([
        { traceId: a, startMs: T0 + 1000, attrs: { 'user.id': 'user-1', 'session.id': 's-1', 'gen_ai.request.model': 'gpt-4o' } },
        { traceId: a, startMs: T0 + 2000, durationMs: 50_000, attrs: { 'user.id': 'user-1' } },
        { traceId: b, startMs: T0 + 3000, durationMs: 5, attrs: { 'user.id': 'user-2', 'session.id': 's-2' } },
        { traceId: c, startMs: T0 + 4000, durationMs: 250, attrs: { 'user.id': 'user-3', 'session.id': 's-3' } },
      ]);
      assert.equal((await postJson(`${svc.otlpUrl}/v1/traces`, body)).status, 200);
      await svc.service.intake.flush();
      const before = await requests(svc);
      assert.equal(before.n, 4);
      assert.match(before.source, /rollup/);
      assert.deepEqual(await durationRange(svc), [
        [5, 50_000],
        [5, 50_000],
      ]);

      const reader = (await svc.service.auth.createKey('reader', ['read'])).key;
      assert.equal((await postJson(`${svc.apiUrl}/api/v1/admin/deletions`, { userId: 'user-1' }, auth(reader))).status, 403);
      assert.equal((await postJson(`${svc.apiUrl}/api/v1/admin/deletions`, {})).status, 400);

      const del = await postJson(`${svc.apiUrl}/api/v1/admin/deletions`, { userId: 'user-1', reason: 'ticket 42' });
      assert.equal(del.status, 200);
      const rec = (await del.json()) as { deletedSpans: number; requestedBy: string; userIdHash: string };
      assert.equal(rec.deletedSpans, 2);
      assert.equal(rec.requestedBy, 'bootstrap');
      assert.match(rec.userIdHash, /^sha256:[0-9a-f]{32}$/);
      const ses = (await (await postJson(`${svc.apiUrl}/api/v1/admin/deletions`, { sessionId: 's-2' })).json()) as { deletedSpans: number };
      assert.equal(ses.deletedSpans, 1);

      assert.equal((await svc.service.storage.getTrace(a)).length, 0);
      assert.equal((await svc.service.storage.getTrace(b)).length, 0);
      assert.equal((await svc.service.storage.getTrace(c)).length, 1);
      const after = await requests(svc);
      assert.equal(after.n, 1, 'the rollups no longer count the deleted spans');
      // Nor show their extremes, per minute and per hour.
      assert.deepEqual(await durationRange(svc), [
        [250, 250],
        [250, 250],
      ]);
      // Grouped answers from the rollups: the erased spans' group (gpt-4o) is gone, not a zero series.
      const byModel = await svc.service.storage.aggregate({
        fromNs: BigInt(T0 - 10 * MIN) * 1_000_000n,
        toNs: BigInt(T0 + 10 * MIN) * 1_000_000n,
        groupBy: ['model'],
        filter: null,
        spans: 'all',
        measures: [{ metric: 'requests' }],
      });
      assert.match(byModel.source, /rollup/);
      assert.deepEqual(
        byModel.rows.map((row) => [row.labels, row.values[0]]),
        [[[''], 1]]
      );
      assert.equal(byModel.groupCount, 1);
      const found = await svc.service.storage.searchTraces({
        fromNs: BigInt(T0 - 10 * MIN) * 1_000_000n,
        toNs: BigInt(T0 + 10 * MIN) * 1_000_000n,
        where: null,
        sortBy: 'time',
        limit: 10,
      });
      assert.deepEqual(found.map((t) => t.traceId), [c]);

      const list = await getJson<{ deletions: Array<Record<string, unknown>> }>(`${svc.apiUrl}/api/v1/admin/deletions`);
      assert.equal(list.status, 200);
      assert.equal(list.body.deletions.length, 2);
      assert.doesNotMatch(JSON.stringify(list.body), /user-1|s-2/);
      assert.equal((await getJson(`${svc.apiUrl}/api/v1/admin/deletions`, auth(reader))).status, 403);
    } finally {
      await svc.stop();
    }
  });

  it('with a hash rule on user.id, the hashed form is deleted too', async () => {
    const dir = await makeTempDir();
    const policyFile = path.join(dir, 'policy.yaml');
    await fs.writeFile(policyFile, 'attributes:\n  user.id: hash\n');
    const privacy = { enabled: true, mode: 'mask' as const, policyFile, key: 'deletion-key-0123456789', dropContent: false };
    const svc = await startTestService({ ...BACKEND, privacy });
    try {
      const t = hex(16);
      assert.equal((await postJson(`${svc.otlpUrl}/v1/traces`, jsonBody([{ traceId: t, startMs: T0, attrs: { 'user.id': 'plain-user-7' } }]))).status, 200);
      await svc.service.intake.flush();
      const stored = await svc.service.storage.getTrace(t);
      assert.match(stored[0]!.userId ?? '', /^hmac:[0-9a-f]{32}$/, 'stored hashed');
      const r = (await (await postJson(`${svc.apiUrl}/api/v1/admin/deletions`, { userId: 'plain-user-7' })).json()) as { deletedSpans: number };
      assert.equal(r.deletedSpans, 1);
      assert.equal((await svc.service.storage.getTrace(t)).length, 0);
    } finally {
      await svc.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
