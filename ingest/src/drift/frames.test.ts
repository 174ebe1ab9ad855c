// The drift frames read back by Grafana's own decoder (@grafana/data dataFrameFromJSON).
// @grafana/data is a browser library: its CommonJS build is loaded under a jsdom window.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, it } from 'node:test';
import type { FrameJSON } from '../queryModel.js';
import { alertsFrame, distributionFrame, featuresFrame, scoresFrames } from './frames.js';
import type { AlertRow, ResultRow } from './store.js';

const require = createRequire(import.meta.url);

interface GField {
  name: string;
  type: string;
  labels?: Record<string, string>;
  values: unknown[] | { toArray(): unknown[] };
  config: Record<string, unknown>;
}
interface GFrame {
  name?: string;
  refId?: string;
  fields: GField[];
  length: number;
  meta?: { custom?: Record<string, unknown>; type?: string; preferredVisualisationType?: string };
}
interface GrafanaData {
  dataFrameFromJSON(f: FrameJSON): GFrame;
  getTimeField(f: GFrame): { timeField?: GField; timeIndex?: number };
}

let gd: GrafanaData;
before(() => {
  const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: { document: unknown } } };
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>');
  const g = globalThis as Record<string, unknown>;
  g.window = dom.window;
  g.document = dom.window.document;
  gd = require('@grafana/data') as GrafanaData;
});

const values = (f: GField): unknown[] => (Array.isArray(f.values) ? f.values : f.values.toArray());
const H = 3_600_000;

function result(p: Partial<ResultRow>): ResultRow {
  return {
    modelId: 'fraud',
    service: '',
    driftType: 'feature',
    feature: '',
    bucketSizeMs: H,
    bucketMs: 0,
    test: 'drift_share',
    statistic: 0.2,
    pValue: null,
    threshold: 0.5,
    score: 0.2,
    scoreThreshold: 0.5,
    drift: false,
    referenceCount: 900,
    currentCount: 150,
    details: {},
    alertable: true,
    hysAbove: 0,
    hysBelow: 0,
    alertId: null,
    computedMs: 0,
    ...p,
  };
}

describe('drift frames in @grafana/data', () => {
  it('scores: one numeric time series per series, time first, labels on the score', () => {
    const rows = [
      result({ bucketMs: 2 * H, score: 0.6, drift: true }),
      result({ bucketMs: H, score: 0.2 }),
      result({ driftType: 'llm', service: 'chat', modelId: 'gpt-4o', bucketMs: H, score: 0.1, scoreThreshold: 0.3 }),
      result({ feature: 'age', test: 'ks', pValue: 0.01, score: 0.99, scoreThreshold: 0.95, bucketMs: H }),
    ];
    const frames = scoresFrames(rows, {
      refId: 'A',
      bucketMs: H,
      activeAlerts: new Set([JSON.stringify(['fraud', '', 'feature', ''])]),
    }).map((f) => gd.dataFrameFromJSON(JSON.parse(JSON.stringify(f)) as FrameJSON));
    assert.equal(frames.length, 3);
    for (const f of frames) {
      assert.deepEqual(
        f.fields.map((x) => x.type),
        ['time', 'number']
      );
      assert.equal(gd.getTimeField(f).timeIndex, 0);
      assert.equal(f.meta?.custom?.pyflareFrame, 'drift-scores');
      assert.equal(f.name, 'drift-scores');
      assert.equal(f.meta?.type, 'timeseries-multi');
    }
    const [agg, llm, age] = frames;
    assert.deepEqual(values(agg!.fields[0]!), [H, 2 * H], 'oldest first');
    assert.deepEqual(values(agg!.fields[1]!), [0.2, 0.6]);
    assert.deepEqual(agg!.fields[1]!.labels, { model: 'fraud', driftType: 'feature' });
    assert.deepEqual([agg!.meta?.custom?.threshold, agg!.meta?.custom?.alertActive], [0.5, true]);
    assert.deepEqual(llm!.fields[1]!.labels, { model: 'gpt-4o', driftType: 'llm', service: 'chat' });
    assert.equal(llm!.meta?.custom?.alertActive, false);
    assert.deepEqual(age!.fields[1]!.labels, { model: 'fraud', driftType: 'feature', feature: 'age' });
    assert.equal(age!.meta?.custom?.threshold, 0.95);
  });

  it('features, distribution and alerts tables keep their types and nulls', () => {
    const feats = gd.dataFrameFromJSON(
      featuresFrame(
        [
          result({
            feature: 'age',
            test: 'ks',
            statistic: 0.3,
            pValue: 0.001,
            threshold: 0.05,
            drift: true,
            score: 0.999,
          }),
          result({ feature: 'plan', test: 'jensenshannon', pValue: null }),
        ],
        {
          refId: 'B',
          modelId: 'fraud',
        }
      )
    );
    assert.equal(feats.name, 'drift-features');
    assert.deepEqual(
      feats.fields.map((f) => `${f.name}:${f.type}`),
      [
        'feature:string',
        'driftType:string',
        'test:string',
        'statistic:number',
        'pValue:number',
        'threshold:number',
        'drift:boolean',
        'score:number',
        'referenceCount:number',
        'currentCount:number',
      ]
    );
    assert.deepEqual(values(feats.fields[4]!), [0.001, null]);
    assert.deepEqual(values(feats.fields[6]!), [true, false]);

    const dist = gd.dataFrameFromJSON(
      distributionFrame(
        result({
          feature: 'plan',
          test: 'chisquare',
          details: {
            distribution: [
              { bin: 'free', lower: null, upper: null, reference: 0.7, current: 0.4 },
              { bin: 'pro', lower: null, upper: null, reference: 0.3, current: 0.6 },
            ],
          },
        }),
        { refId: 'C', feature: 'plan' }
      )
    );
    assert.deepEqual(
      dist.fields.map((f) => `${f.name}:${f.type}`),
      ['bin:string', 'lower:number', 'upper:number', 'reference:number', 'current:number']
    );
    assert.deepEqual(values(dist.fields[3]!), [0.7, 0.3]);
    assert.deepEqual(
      [dist.meta?.custom?.pyflareFrame, dist.meta?.custom?.feature, dist.meta?.custom?.test],
      ['drift-distribution', 'plan', 'chisquare']
    );

    const alert: AlertRow = {
      id: 'da_1',
      modelId: 'fraud',
      service: '',
      driftType: 'feature',
      feature: '',
      bucketSizeMs: H,
      state: 'active',
      openedMs: 5 * H,
      openBucketMs: 4 * H,
      resolvedMs: null,
      resolveBucketMs: null,
      resolvedBy: null,
      score: 0.6,
      peakScore: 0.8,
      threshold: 0.5,
      updatedMs: 0,
    };
    const alerts = gd.dataFrameFromJSON(
      alertsFrame([alert, { ...alert, id: 'da_2', state: 'resolved', resolvedMs: 9 * H, resolvedBy: 'auto' }], {
        refId: 'D',
      })
    );
    assert.equal(alerts.name, 'drift-alerts');
    assert.deepEqual(
      alerts.fields.slice(0, 9).map((f) => `${f.name}:${f.type}`),
      [
        'id:string',
        'model:string',
        'driftType:string',
        'feature:string',
        'state:string',
        'openedAt:time',
        'resolvedAt:time',
        'score:number',
        'threshold:number',
      ]
    );
    assert.deepEqual(values(alerts.fields[6]!), [null, 9 * H]);
    // Annotation mapping by name: time = first time field, then timeEnd, title, text, tags.
    assert.equal(gd.getTimeField(alerts).timeField?.name, 'openedAt');
    const names = alerts.fields.map((f) => f.name);
    for (const n of ['timeEnd', 'title', 'text', 'tags']) {
      assert.ok(names.includes(n), n);
    }
  });
});
