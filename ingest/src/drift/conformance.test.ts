// One suite for the drift storage interface, run unchanged on DuckDB, on ClickHouse in-process
// (chdb) and, when PYFLARE_TEST_CLICKHOUSE_URL is set, on a ClickHouse server. Besides each
// method's contract it checks that the engine computes the same numbers on every backend (the
// statistics run in TS on what the store returns) and that two engine instances sharing a store
// evaluate every bucket exactly once, also when the lease holder dies mid-lease.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { openClickHouse, type ClickHouseHandle } from '../clickhouse/client.js';
import { ClickHouseDriftStore } from './clickhouse/store.js';
import { driftDdl } from './clickhouse/schema.js';
import { DEFAULT_MODEL_CONFIG, loadDriftConfig, type DriftConfig } from './config.js';
import { DriftEngine, type DriftLogger } from './engine.js';
import { validateInferences, validateReferenceRows, type InferenceRow } from './records.js';
import { Rng } from './stats/index.js';
import type { AlertRow, DriftStorage, ResultRow } from './storage.js';
import { DriftStore } from './store.js';
import { generateRecords } from './testdata.js';

const H = 3_600_000;
// Recent enough that the retention TTL keeps it.
const T0 = Math.floor(Date.now() / H) * H - 30 * H;
const hour = (i: number) => T0 + i * H;
const NOW = hour(24) + 10 * 60_000;
const quiet: DriftLogger = { info() {}, warn() {}, error() {} };

interface SpanRow {
  trace_id: string;
  span_id: string;
  start_ns: bigint;
  duration_ns: number;
  status_code: number;
  span_kind: string;
  service: string;
  request_model: string | null;
  response_model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_micros: number | null;
  finish_reasons: string[];
}

interface Backend {
  name: string;
  /** A fresh, empty store (own database / directory). */
  open(): Promise<{ store: DriftStorage; addSpans(rows: SpanRow[]): Promise<void>; rawResultRows(): Promise<number> }>;
  cleanup(): Promise<void>;
}

const SPAN_COLS_DUCK = `trace_id VARCHAR, span_id VARCHAR, start_ns BIGINT, duration_ns BIGINT, status_code UTINYINT,
  span_kind VARCHAR, service VARCHAR, request_model VARCHAR, response_model VARCHAR, input_tokens BIGINT,
  output_tokens BIGINT, cost_micros BIGINT, finish_reasons VARCHAR[]`;
const SPAN_COLS_CH = `trace_id String, span_id String, start_ns Int64, duration_ns Int64, status_code UInt8,
  span_kind String, service String, request_model Nullable(String), response_model Nullable(String),
  input_tokens Nullable(Int64), output_tokens Nullable(Int64), cost_micros Nullable(Int64), finish_reasons Array(String)`;

function duckBackend(): Backend {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  return {
    name: 'duckdb',
    async open() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-drift-conf-'));
      dirs.push(dir);
      const inst = await DuckDBInstance.create(path.join(dir, 'spans.duckdb'));
      const conns: DuckDBConnection[] = [];
      const connect = async () => {
        const c = await inst.connect();
        conns.push(c);
        return c;
      };
      const admin = await connect();
      await admin.run(`CREATE TABLE spans (${SPAN_COLS_DUCK})`);
      const store = await DriftStore.open({ connect }, dir);
      closers.push(async () => {
        await store.close();
        conns.forEach((c) => c.closeSync());
        inst.closeSync();
      });
      return {
        store,
        async addSpans(rows) {
          const a = await admin.createAppender('spans');
          for (const r of rows) {
            a.appendVarchar(r.trace_id);
            a.appendVarchar(r.span_id);
            a.appendBigInt(r.start_ns);
            a.appendBigInt(BigInt(r.duration_ns));
            a.appendUTinyInt(r.status_code);
            a.appendVarchar(r.span_kind);
            a.appendVarchar(r.service);
            for (const v of [r.request_model, r.response_model]) {
              if (v === null) {
                a.appendNull();
              } else {
                a.appendVarchar(v);
              }
            }
            for (const v of [r.input_tokens, r.output_tokens, r.cost_micros]) {
              if (v === null) {
                a.appendNull();
              } else {
                a.appendBigInt(BigInt(v));
              }
            }
            a.appendNull();
            a.endRow();
          }
          a.closeSync();
          // The appender cannot write lists here; set them afterwards.
          for (const r of rows.filter((x) => x.finish_reasons.length > 0)) {
            await admin.run(`UPDATE spans SET finish_reasons = $1::VARCHAR[] WHERE trace_id = $2 AND span_id = $3`, [
              JSON.stringify(r.finish_reasons).replace(/"/g, "'"),
              r.trace_id,
              r.span_id,
            ]);
          }
        },
        async rawResultRows() {
          const r = await admin.runAndReadAll('SELECT count(*)::INTEGER AS n FROM pyflare_drift.drift_results');
          return Number((r.getRowObjectsJS()[0] as { n: number }).n);
        },
      };
    },
    async cleanup() {
      for (const c of closers) {
        await c();
      }
      for (const d of dirs) {
        await fs.rm(d, { recursive: true, force: true });
      }
    },
  };
}

let dbSeq = 0;
function clickhouseBackend(name: string, url: string): Backend {
  const handles: ClickHouseHandle[] = [];
  const stores: DriftStorage[] = [];
  const databases: string[] = [];
  return {
    name,
    async open() {
      const database = `pyflare_drift_conf_${process.pid}_${++dbSeq}`;
      const settings = {
        url,
        username: process.env.PYFLARE_TEST_CLICKHOUSE_USER ?? 'default',
        password: process.env.PYFLARE_TEST_CLICKHOUSE_PASSWORD ?? '',
        database,
        cluster: undefined,
      };
      databases.push(database);
      const admin = await openClickHouse(settings);
      handles.push(admin);
      await admin.client.command({
        query: `CREATE TABLE ${database}.spans (${SPAN_COLS_CH}) ENGINE = MergeTree ORDER BY start_ns`,
      });
      const store = await ClickHouseDriftStore.open(await openClickHouse(settings), { retentionDays: 30 });
      stores.push(store);
      return {
        store,
        async addSpans(rows) {
          await admin.client.insert({
            table: `${database}.spans`,
            // Nanoseconds exceed 2^53: sent as decimal text.
            values: rows.map((r) => ({ ...r, start_ns: String(r.start_ns) })),
            format: 'JSONEachRow',
            clickhouse_settings: { insert_deduplication_token: '' },
          });
        },
        async rawResultRows() {
          const rs = await admin.client.query({
            query: `SELECT count() AS n FROM ${database}.drift_results WHERE deleted = 0`,
            format: 'JSONEachRow',
          });
          return Number(((await rs.json()) as Array<{ n: number | string }>)[0]!.n);
        },
      };
    },
    async cleanup() {
      for (const s of stores) {
        await s.close();
      }
      for (const h of handles) {
        for (const d of databases) {
          await h.client.command({ query: `DROP DATABASE IF EXISTS ${d}` }).catch(() => undefined);
        }
        await h.release();
        break;
      }
      for (const h of handles.slice(1)) {
        await h.release();
      }
      if (url.startsWith('chdb:')) {
        await fs.rm(url.slice(5), { recursive: true, force: true });
      }
    },
  };
}

// chdb allows one engine directory per process: every ClickHouse store of this file shares it.
const CHDB_DIR = path.join(os.tmpdir(), `pyflare-drift-chdb-${process.pid}`);
const BACKENDS: Backend[] = [duckBackend(), clickhouseBackend('clickhouse (chdb)', `chdb:${CHDB_DIR}`)];
if (process.env.PYFLARE_TEST_CLICKHOUSE_URL) {
  BACKENDS.push(clickhouseBackend('clickhouse (server)', process.env.PYFLARE_TEST_CLICKHOUSE_URL));
}

/** The sampling order both engines must produce: first 8 bytes of MD5, big-endian. */
function sampleKey(s: string): bigint {
  return crypto.createHash('md5').update(s).digest().readBigUInt64BE(0);
}
const bySample = (a: string, b: string) => {
  const x = sampleKey(a);
  const y = sampleKey(b);
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

function records(modelId: string, fromHour: number, hours: number, n: number, seed: number, shifted = (_i: number) => false) {
  const rng = new Rng(seed);
  const items = [];
  const labels = [];
  for (let i = fromHour; i < fromHour + hours; i++) {
    const g = generateRecords({ rng, modelId, startMs: hour(i), spanMs: H, n, shifted: shifted(i), embeddingDim: 4 });
    items.push(...g.records);
    labels.push(...g.labels);
  }
  const v = validateInferences(items, { nowMs: NOW });
  assert.equal(v.rejected, 0);
  return { rows: v.rows, labels };
}

function llmSpans(n: number, seed: number): SpanRow[] {
  const rng = new Rng(seed);
  const out: SpanRow[] = [];
  for (let i = 0; i < n; i++) {
    const start = hour(Math.floor(i / (n / 4))) + rng.int(H);
    const tool = rng.uniform() < 0.3;
    out.push({
      trace_id: crypto.createHash('sha1').update(`t${seed}-${i}`).digest('hex').slice(0, 32),
      span_id: crypto.createHash('sha1').update(`s${seed}-${i}`).digest('hex').slice(0, 16),
      start_ns: BigInt(start) * 1_000_000n,
      duration_ns: 1_000_000 + rng.int(2_000_000_000),
      status_code: rng.uniform() < 0.1 ? 2 : 1,
      span_kind: i % 7 === 0 ? 'tool' : 'llm',
      service: i % 2 ? 'chat' : 'search',
      request_model: 'gpt-4o',
      response_model: i % 3 ? 'gpt-4o-2024' : null,
      input_tokens: i % 5 ? 100 + rng.int(900) : null,
      output_tokens: 10 + rng.int(300),
      cost_micros: i % 4 ? rng.int(10_000) : null,
      finish_reasons: tool ? ['TOOL_CALLS'] : i % 6 ? ['stop'] : [],
    });
  }
  return out;
}

function driftConfig(over: Partial<DriftConfig>): DriftConfig {
  return loadDriftConfig({}, { intervalMs: 0, graceMs: 0, now: () => NOW, minRows: 30, alertBuckets: 2, ...over }, 30);
}

function alert(id: string, over: Partial<AlertRow> = {}): AlertRow {
  return {
    id,
    modelId: 'm',
    service: '',
    driftType: 'feature',
    feature: '',
    bucketSizeMs: H,
    state: 'active',
    openedMs: hour(3),
    openBucketMs: hour(2),
    resolvedMs: null,
    resolveBucketMs: null,
    resolvedBy: null,
    score: 0.5,
    peakScore: 0.6,
    threshold: 0.1,
    updatedMs: hour(3),
    ...over,
  };
}
function result(feature: string, b: number, over: Partial<ResultRow> = {}): ResultRow {
  return {
    modelId: 'm',
    service: '',
    driftType: 'feature',
    feature,
    bucketSizeMs: H,
    bucketMs: b,
    test: 'ks',
    statistic: 0.25,
    pValue: 0.5,
    threshold: 0.05,
    score: 0.5,
    scoreThreshold: 0.95,
    drift: false,
    referenceCount: 100,
    currentCount: 90,
    details: { bins: [1, 2] },
    alertable: feature === '',
    hysAbove: 1,
    hysBelow: 0,
    alertId: null,
    computedMs: NOW,
    ...over,
  };
}

/** What the engine computed, per backend, to compare the backends with each other. */
const computed = new Map<string, ResultRow[]>();

after(async () => {
  for (const b of BACKENDS) {
    await b.cleanup();
  }
});

for (const backend of BACKENDS) {
  describe(`drift storage conformance: ${backend.name}`, () => {
    let s: DriftStorage;
    let addSpans: (rows: SpanRow[]) => Promise<void>;
    const fraud = records('fraud', 0, 4, 60, 11);
    before(async () => {
      ({ store: s, addSpans } = await backend.open());
    });

    it('stores records once (retries and duplicates inside a request are ignored) and lists models', async () => {
      assert.equal(await s.insertInferences(fraud.rows, NOW), 240);
      // Resent rows plus two new rows (in hour 3) sharing one id.
      const again = [...fraud.rows.slice(0, 10), { ...fraud.rows[200]!, id: 'dup' }, { ...fraud.rows[201]!, id: 'dup' }];
      assert.equal(await s.insertInferences(again, NOW), 1);
      await s.putModelConfig('configured-only', DEFAULT_MODEL_CONFIG, NOW);
      const models = await s.models();
      assert.deepEqual(
        models.map((m) => [m.modelId, m.records, m.configured]),
        [
          ['configured-only', 0, true],
          ['fraud', 241, false],
        ]
      );
      assert.equal(models[1]!.firstMs, Math.min(...fraud.rows.map((r) => r.tsMs)));
      assert.equal(await s.earliestInferenceMs(), models[1]!.firstMs);
      assert.deepEqual(await s.modelsInWindow(hour(0), hour(2)), [{ modelId: 'fraud', n: 120 }]);
      const counts = await s.inferenceCountsByBucket('fraud', H, hour(0), hour(4));
      assert.deepEqual([...counts.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n), [60, 60, 60, 61]);
    });

    it('keeps model settings (the latest write wins)', async () => {
      assert.equal((await s.modelConfig('fraud')).updatedMs, null);
      await s.putModelConfig('fraud', { ...DEFAULT_MODEL_CONFIG, driftShare: 0.3 }, NOW);
      await s.putModelConfig('fraud', { ...DEFAULT_MODEL_CONFIG, driftShare: 0.4 }, NOW + 1);
      const c = await s.modelConfig('fraud');
      assert.deepEqual([c.config.driftShare, c.updatedMs], [0.4, NOW + 1]);
    });

    it('samples by the smallest MD5-64 of the id, the same rows on every engine', async () => {
      const inHour0 = fraud.rows.filter((r) => r.tsMs < hour(1));
      const want = inHour0.map((r) => r.id).sort(bySample).slice(0, 25);
      const byFeatures = new Map(inHour0.map((r) => [r.features, r.id]));
      const got = await s.sampleInferences('fraud', hour(0), hour(1), 25, 5);
      assert.deepEqual(
        got.map((r) => byFeatures.get(JSON.stringify(r.features))),
        want
      );
      assert.equal(got.filter((r) => r.embedding !== null).length, 5);
      const rowOf = new Map(inHour0.map((r) => [r.id, r]));
      assert.deepEqual(Array.from(got[0]!.embedding!), Array.from(Float32Array.from(rowOf.get(want[0]!)!.embedding!)));
      assert.equal(got[0]!.predProb, rowOf.get(want[0]!)!.predProb);
      const emb = await s.sampleEmbeddings('fraud', hour(0), hour(1), 3);
      assert.equal(emb.length, 3);
      assert.deepEqual(Array.from(emb[0]!), Array.from(got[0]!.embedding!));
    });

    it('stores bucket samples once and replaces them on re-sampling', async () => {
      assert.equal(await s.storeInferenceSample('fraud', H, hour(1), 50, 10), 50);
      assert.equal(await s.storeInferenceSample('fraud', H, hour(1), 40, 10), 40);
      await s.markSampledEmpty('inference', 'fraud', '', H, [hour(7)]);
      assert.deepEqual([...(await s.sampledBuckets('inference', 'fraud', '', H, hour(0), hour(8)))].sort(), [hour(1), hour(7)]);
      const stored = await s.storedInferenceSamples('fraud', H, hour(0), hour(8), 1000);
      const direct = await s.sampleInferences('fraud', hour(1), hour(2), 40, 0);
      assert.deepEqual(stored, direct);
      assert.equal((await s.storedSampleEmbeddings('fraud', H, hour(0), hour(8), 1000)).length, 10);
    });

    it('counts model quality exactly, per window and per bucket', async () => {
      const labels = fraud.labels.filter((l) => l.id !== fraud.rows[0]!.id).map((l) => ({ id: l.id, labelClass: l.label, labelValue: null }));
      const { found, touched } = await s.applyLabels([...labels, { id: 'nope', labelClass: 'x', labelValue: null }], NOW);
      assert.equal(found.size, labels.length);
      assert.equal(touched.length, labels.length);
      assert.equal((await s.modelsInWindow(hour(0), hour(4)))[0]!.n, 241, 'labels do not add rows');
      const q = await s.quality('fraud', hour(0), hour(4));
      assert.equal(q.n, labels.length);
      const byBucket = await s.qualityByBucket('fraud', H, hour(0), hour(4));
      assert.equal([...byBucket.values()].reduce((n, x) => n + x.n, 0), labels.length);
      assert.deepEqual(
        [...byBucket.get(hour(2))!.confusion].sort(),
        [...(await s.quality('fraud', hour(2), hour(3))).confusion].sort()
      );
      await s.putBucketStatsMany('fraud', H, [...byBucket.entries()]);
      assert.deepEqual(await s.bucketStats('fraud', H, hour(0), hour(4)), byBucket);
      await s.markLabelsChanged([{ modelId: 'fraud', bucketMs: hour(1) }, { modelId: 'fraud', bucketMs: hour(3) }], H, hour(2));
      assert.deepEqual([...(await s.bucketStats('fraud', H, hour(0), hour(4))).keys()].sort(), [hour(0), hour(2)]);
      assert.deepEqual(await s.dirtyBuckets(H, 10), [{ modelId: 'fraud', bucketMs: hour(1) }]);
      await s.clearDirty('fraud', H, hour(1));
      assert.deepEqual(await s.dirtyBuckets(H, 10), []);
    });

    it('keeps uploaded datasets and replaces them whole', async () => {
      const items = fraud.rows.slice(0, 50).map((r) => ({
        features: JSON.parse(r.features) as Record<string, unknown>,
        prediction: r.predClass,
        label: 'ok',
        ...(r.embedding ? { embedding: r.embedding } : {}),
      }));
      const v = validateReferenceRows(items, 'fraud', 'ds1');
      await s.putDataset('ds1', 'fraud', 'train', v.rows, NOW);
      await s.putDataset('ds1', 'fraud', 'train', v.rows.slice(0, 30), NOW + 1);
      assert.deepEqual(await s.dataset('ds1'), { datasetId: 'ds1', modelId: 'fraud', name: 'train', rowCount: 30, createdMs: NOW + 1 });
      const sample = await s.datasetSample('ds1', 20, 4);
      const want = v.rows.slice(0, 30).map((_, i) => String(i)).sort(bySample).slice(0, 20).map(Number);
      assert.deepEqual(sample.map((r) => r.features), want.map((i) => JSON.parse(v.rows[i]!.features)));
      assert.equal(sample.filter((r) => r.embedding).length, 4);
      assert.equal((await s.datasetQuality('ds1')).n, 30);
      assert.equal(await s.dataset('nope'), null);
    });

    it('samples LLM spans per model and service', async () => {
      const spans = llmSpans(200, 5);
      await addSpans(spans);
      const llm = spans.filter((x) => x.span_kind === 'llm');
      assert.equal(await s.earliestSpanMs(), Math.min(...llm.map((x) => Number(x.start_ns / 1_000_000n))));
      const models = await s.llmModelsInWindow(hour(0), hour(4));
      assert.deepEqual(models.map((m) => `${m.modelId}/${m.service}`), ['gpt-4o/chat', 'gpt-4o/search', 'gpt-4o-2024/chat', 'gpt-4o-2024/search']);
      const mine = spans.filter((x) => x.span_kind === 'llm' && (x.response_model ?? x.request_model) === 'gpt-4o-2024' && x.service === 'chat');
      assert.equal(models.find((m) => m.modelId === 'gpt-4o-2024' && m.service === 'chat')!.n, mine.length);
      const live = await s.llmSample('gpt-4o-2024', 'chat', hour(0), hour(4), 20);
      const want = mine.sort((a, b) => bySample(a.trace_id + a.span_id, b.trace_id + b.span_id)).slice(0, 20);
      assert.deepEqual(
        live.map((r) => [r.latencyMs, r.inputTokens, r.costUsd, r.error, r.finishReason, r.toolCall]),
        want.map((x) => [
          x.duration_ns / 1e6,
          x.input_tokens,
          x.cost_micros === null ? null : x.cost_micros / 1e6,
          x.status_code === 2,
          x.finish_reasons[0]?.toLowerCase() ?? 'none',
          x.finish_reasons.includes('TOOL_CALLS'),
        ])
      );
      const b = hour(1);
      const inB = mine.filter((x) => x.start_ns >= BigInt(b) * 1_000_000n && x.start_ns < BigInt(b + H) * 1_000_000n).length;
      assert.equal(await s.storeLlmSample('gpt-4o-2024', 'chat', H, b, 1000), inB);
      assert.deepEqual(await s.storedLlmSamples('gpt-4o-2024', 'chat', H, b, b + H, 1000), await s.llmSample('gpt-4o-2024', 'chat', b, b + H, 1000));
      const counts = await s.llmCountsByBucket('gpt-4o-2024', 'chat', H, hour(0), hour(4));
      assert.equal(counts.get(b), inB);
    });

    it('replaces results by key and keeps alerts, with a manual resolve winning', async () => {
      const key = { modelId: 'm', service: '', driftType: 'feature', bucketSizeMs: H };
      await s.replaceResults([
        {
          key: { ...key, fromMs: hour(1), toMs: hour(3) },
          rows: [result('', hour(1)), result('a', hour(1)), result('b', hour(1)), result('', hour(2), { alertId: 'al1', drift: true })],
          alerts: { upsert: [alert('al1'), alert('al2')], deleteIds: [] },
        },
      ]);
      // Re-running bucket 1 drops feature b and the second alert.
      await s.replaceResults([
        {
          key: { ...key, fromMs: hour(1), toMs: hour(2) },
          rows: [result('', hour(1), { score: 0.7 }), result('a', hour(1), { statistic: null, pValue: null })],
          alerts: { upsert: [], deleteIds: ['al2'] },
        },
      ]);
      const all = await s.resultsFrom('m', '', 'feature', H, hour(0));
      assert.deepEqual(all.map((r) => [r.bucketMs - hour(0), r.feature, r.score]), [
        [H, '', 0.7],
        [H, 'a', 0.5],
        [2 * H, '', 0.5],
      ]);
      assert.deepEqual(all[1]!.details, { bins: [1, 2] });
      assert.equal(all[1]!.statistic, null);
      assert.equal(all[2]!.drift, true);
      const last = await s.lastStates('m', '', 'feature', H, hour(3));
      assert.deepEqual([...last.keys()], ['']);
      assert.equal(last.get('')!.bucketMs, hour(2));
      assert.deepEqual((await s.alertsOfSeries('m', '', 'feature', H)).map((a) => a.id), ['al1']);
      assert.equal((await s.resolveAlertManually('al1', NOW))!.resolvedBy, 'manual');
      assert.equal(await s.resolveAlertManually('al1', NOW), null);
      assert.equal(await s.resolveAlertManually('nope', NOW), null);
      // An evaluation that raced with the hand does not reopen it.
      await s.replaceResults([
        { key: { ...key, fromMs: hour(5), toMs: hour(6) }, rows: [], alerts: { upsert: [alert('al1', { score: 9 })], deleteIds: [] } },
      ]);
      const a1 = (await s.alert('al1'))!;
      assert.deepEqual([a1.state, a1.resolvedBy, a1.resolvedMs, a1.score], ['resolved', 'manual', NOW, 0.5]);
      assert.deepEqual((await s.alerts({ state: 'active' })).map((a) => a.id), []);
      assert.deepEqual((await s.alerts({ state: 'all', modelId: 'm', fromMs: NOW + 1 })).map((a) => a.id), []);
      assert.deepEqual((await s.alerts({ state: 'resolved', driftType: 'feature', toMs: hour(3) })).map((a) => a.id), ['al1']);
      const base = { bucketSizeMs: H, fromMs: hour(0), toMs: hour(10) };
      assert.equal((await s.results({ ...base, feature: null })).length, 2);
      assert.equal((await s.results({ ...base, feature: '*' })).length, 1);
      assert.equal((await s.results({ ...base, feature: 'a', driftTypes: ['feature'], modelId: 'm' })).length, 1);
      assert.deepEqual((await s.results({ ...base, latestOnly: true })).map((r) => [r.feature, r.bucketMs]), [
        ['', hour(2)],
        ['a', hour(1)],
      ]);
      assert.ok((await s.models()).some((m) => m.modelId === 'm' && m.records === 0));
    });

    it('moves the cursor and arbitrates leases (renew, expiry, release)', async () => {
      assert.equal(await s.cursor('k'), null);
      await s.setCursor('k', hour(1));
      await s.setCursor('k', hour(2));
      assert.equal(await s.cursor('k'), hour(2));
      const a = await s.acquireLease('L', 'a', 1000, 100);
      assert.deepEqual([a.owned, a.owner, a.expiresMs], [true, 'a', 1100]);
      const b = await s.acquireLease('L', 'b', 1050, 100);
      assert.deepEqual([b.owned, b.owner], [false, 'a']);
      const renewed = await s.acquireLease('L', 'a', 1060, 100);
      assert.deepEqual([renewed.owned, renewed.expiresMs], [true, 1160]);
      assert.ok(renewed.epoch > a.epoch);
      assert.equal((await s.acquireLease('L', 'b', 1159, 100)).owned, false);
      const taken = await s.acquireLease('L', 'b', 1161, 100);
      assert.deepEqual([taken.owned, taken.owner], [true, 'b']);
      assert.equal((await s.acquireLease('L', 'a', 1170, 100)).owned, false);
      await s.releaseLease('L', 'a', 1171); // not the holder: no effect
      assert.equal((await s.acquireLease('L', 'a', 1172, 100)).owned, false);
      await s.releaseLease('L', 'b', 1180);
      assert.equal((await s.acquireLease('L', 'a', 1181, 100)).owned, true);
    });

    it('deletes records and samples past retention', async () => {
      assert.equal(await s.deleteBefore(hour(1)), 60);
      assert.deepEqual(await s.modelsInWindow(hour(0), hour(1)), []);
      assert.equal((await s.modelsInWindow(hour(1), hour(4)))[0]!.n, 181);
    });
  });

  describe(`drift engine on ${backend.name}`, () => {
    it('evaluates a shifted model: same numbers on every backend', async () => {
      const { store } = await backend.open();
      const shift = records('shift', 0, 12, 80, 7, (i) => i >= 6 && i < 9);
      assert.equal(await store.insertInferences(shift.rows, NOW), 960);
      await store.applyLabels(shift.labels.map((l) => ({ id: l.id, labelClass: l.label, labelValue: null })), NOW);
      const reference = { type: 'fixed' as const, from: hour(0), to: hour(6) };
      await store.putModelConfig('shift', { ...DEFAULT_MODEL_CONFIG, reference }, NOW);
      // A second model on the default rolling reference (read from the stored bucket samples).
      const roll = records('roll', 0, 12, 50, 8, (i) => i >= 8);
      assert.equal(await store.insertInferences(roll.rows, NOW), 600);
      const engine = new DriftEngine(store, driftConfig({ replicaId: 'r1', catchUpMs: 86_400_000 }), quiet);
      const first = await engine.tick();
      assert.equal(first.buckets, 24);
      assert.equal((await engine.tick()).buckets, 0, 'nothing evaluated twice');
      const rows = await store.results({ bucketSizeMs: H, fromMs: hour(0), toMs: hour(24) });
      const overall = rows.filter((r) => r.modelId === 'shift' && r.driftType === 'feature' && r.feature === '');
      assert.deepEqual(
        overall.filter((r) => r.drift).map((r) => (r.bucketMs - T0) / H),
        [6, 7, 8]
      );
      computed.set(backend.name, rows.map((r) => ({ ...r, computedMs: 0 })));
      await engine.stop();
    });

    it('evaluates each bucket once with two engines, also when the lease holder dies', async () => {
      const { store, rawResultRows } = await backend.open();
      const m = records('pair', 0, 24, 40, 3);
      await store.insertInferences(m.rows, NOW);
      let clockA = NOW;
      let clockB = NOW;
      const cfg = { catchUpMs: 86_400_000, leaseMs: 60_000 };
      const a = new DriftEngine(store, driftConfig({ ...cfg, replicaId: 'a', now: () => clockA }), quiet);
      const b = new DriftEngine(store, driftConfig({ ...cfg, replicaId: 'b', now: () => clockB }), quiet);
      a.maxBucketsPerTick = 10;
      // Both tick at once: one gets the lease.
      b.maxBucketsPerTick = 10;
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      assert.deepEqual([ra.buckets + rb.buckets, Math.max(ra.buckets, rb.buckets)], [10, 10]);
      const [owner, other] = ra.buckets === 10 ? [a, b] : [b, a];
      other.maxBucketsPerTick = 500;
      // The holder evaluates 10 more and then dies without releasing its lease.
      assert.equal((await owner.tick()).buckets, 10);
      // Within the lease the other replica waits...
      clockA += 30_000;
      clockB += 30_000;
      const waiting = await other.tick();
      assert.equal(waiting.buckets, 0);
      assert.ok(waiting.leasedElsewhere >= 1);
      // ...and takes over once it has expired, continuing from the cursor.
      clockA += 31_000;
      clockB += 31_000;
      const rest = await other.tick();
      assert.equal(rest.buckets, 4);
      // The dead holder coming back finds the lease taken.
      const zombie = await owner.tick();
      assert.deepEqual([zombie.buckets, zombie.leasedElsewhere], [0, 2]);
      const rows = await store.results({ bucketSizeMs: H, fromMs: hour(0), toMs: hour(24), driftTypes: ['feature'], feature: null });
      // Bucket 0 has no reference (nothing before it): 1..23.
      assert.deepEqual(rows.map((r) => (r.bucketMs - T0) / H), Array.from({ length: 23 }, (_, i) => i + 1));
      assert.equal(await rawResultRows(), (await store.results({ bucketSizeMs: H, fromMs: hour(0), toMs: hour(24) })).length);
      await a.stop();
      await b.stop();
    });
  });
}

describe('drift on every backend', () => {
  it('computes the same results on each (statistics from the same samples)', () => {
    const base = computed.get('duckdb');
    assert.ok(base && base.length > 0);
    for (const [name, rows] of computed) {
      assert.equal(rows.length, base.length, name);
      rows.forEach((r, i) => {
        const d = base[i]!;
        const where = `${name}: ${r.driftType}/${r.feature}@${(r.bucketMs - T0) / H}`;
        assert.deepEqual(
          [r.driftType, r.feature, r.bucketMs, r.test, r.drift, r.referenceCount, r.currentCount, r.alertId],
          [d.driftType, d.feature, d.bucketMs, d.test, d.drift, d.referenceCount, d.currentCount, d.alertId],
          where
        );
        // Sums over the same rows may be added in another order: allow for rounding only.
        for (const k of ['score', 'statistic', 'pValue'] as const) {
          const x = r[k] ?? 0;
          const y = d[k] ?? 0;
          assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${where} ${k}: ${x} vs ${y}`);
        }
      });
    }
  });

  it('generates Replicated + Distributed DDL ON CLUSTER from the same table list', () => {
    const single = driftDdl({ database: 'pf', retentionDays: 30 });
    const cluster = driftDdl({ database: 'pf', cluster: 'two_shards', retentionDays: 30 });
    assert.equal(cluster.length, 2 * (single.length - 1) + 1);
    const results = cluster.find((q) => q.startsWith('CREATE TABLE IF NOT EXISTS pf.drift_results_local'))!;
    assert.match(results, / ON CLUSTER two_shards /);
    assert.match(
      results,
      /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/pf\/drift_results_local', '\{replica\}', ver, deleted\)/
    );
    assert.ok(
      cluster.includes(
        'CREATE TABLE IF NOT EXISTS pf.drift_results ON CLUSTER two_shards AS pf.drift_results_local ENGINE = Distributed(two_shards, pf, drift_results_local, cityHash64(model_id, service, drift_type))'
      )
    );
    const leases = cluster.find((q) => q.includes('pf.drift_leases_local'))!;
    assert.match(leases, /ReplicatedMergeTree\(.*'\{replica\}'\)/);
    assert.match(leases, /replicated_deduplication_window = 10000/);
    assert.doesNotMatch(leases, /non_replicated/);
    assert.ok(cluster.some((q) => q.endsWith('ENGINE = Distributed(two_shards, pf, drift_leases_local, 0)')));
    const inf = cluster.find((q) => q.includes('pf.drift_inferences_local ON CLUSTER'))!;
    assert.match(inf, /TTL toDateTime\(intDiv\(ts_ms, 1000\)\) \+ toIntervalDay\(30\)/);
    assert.match(inf, /PARTITION BY intDiv\(ts_ms, 86400000\)/);
    assert.match(
      cluster[cluster.length - 1]!,
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS pf\.drift_model_seen_mv ON CLUSTER two_shards TO pf\.drift_model_seen_local AS .* FROM pf\.drift_inferences_local WHERE ver = 0/
    );
    assert.ok(single.every((q) => !q.includes('ON CLUSTER') && !q.includes('Replicated') && !q.includes('Distributed')));
    assert.ok(!driftDdl({ database: 'pf', retentionDays: 0 }).some((q) => q.includes(' TTL ')));
  });
});
