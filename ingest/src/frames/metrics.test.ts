// Metrics and cost frames decoded by @grafana/data's dataFrameFromJSON, the function Grafana
// uses on the frames the Go backend passes through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricsResult } from '../query/metrics.js';
import { dataFrameFromJSON, getTimeField, isTimeSeriesFrame } from '../testing/grafanaData.js';
import { budgetsFrame, costBreakdownFrame, costSummaryFrame, forecastFrame } from './costs.js';
import { metricsFrames } from './metrics.js';

const result: MetricsResult = {
  metric: 'latency_ms',
  aggregation: 'p99',
  unit: 'ms',
  stepMs: 60_000,
  from: 1_700_000_040_000,
  to: 1_700_000_220_000,
  timestamps: [1_700_000_040_000, 1_700_000_100_000, 1_700_000_160_000],
  groupBy: ['model', 'service'],
  series: [
    { labels: { model: 'gpt-4o', service: 'api' }, values: [120.5, null, 99] },
    { labels: { model: '', service: 'api' }, values: [1, 2, 3] },
  ],
  source: 'raw',
  seriesTotal: 5,
};

describe('metrics frames', () => {
  it('time series: one frame per series, time first, numeric value with labels and unit', () => {
    const frames = metricsFrames(result, 'A', { format: 'time_series' });
    assert.equal(frames.length, 2);
    for (const [i, json] of frames.entries()) {
      const f = dataFrameFromJSON(json);
      assert.equal(f.refId, 'A');
      assert.equal(f.length, 3);
      assert.deepEqual(f.fields.map((x) => [x.name, x.type]), [['time', 'time'], ['latency_ms', 'number']]);
      assert.equal(getTimeField(f).timeIndex, 0);
      assert.ok(isTimeSeriesFrame(f));
      assert.deepEqual(f.fields[0]!.values, result.timestamps);
      assert.deepEqual(f.fields[1]!.values, result.series[i]!.values);
      assert.deepEqual(f.fields[1]!.labels, result.series[i]!.labels);
      assert.equal(f.fields[1]!.config.unit, 'ms');
      assert.equal(f.fields[0]!.config.interval, 60_000);
      assert.equal((f.meta as { type: string }).type, 'timeseries-multi');
    }
    assert.equal(dataFrameFromJSON(frames[1]!).fields[1]!.config.displayNameFromDS, '(none) / api');
    assert.equal(frames[0]!.schema.fields[1]!.typeInfo.nullable, true);
    assert.equal(frames[1]!.schema.fields[1]!.typeInfo.nullable, undefined);
    assert.match(JSON.stringify(frames[0]!.schema.meta), /showing the 2 largest of 5 series/);
  });

  it('table: one long frame sorted by time with a string field per dimension', () => {
    const [json] = metricsFrames(result, 'B', { format: 'table' });
    const f = dataFrameFromJSON(json);
    assert.deepEqual(f.fields.map((x) => [x.name, x.type]), [['time', 'time'], ['model', 'string'], ['service', 'string'], ['latency_ms', 'number']]);
    assert.equal(f.length, 6);
    assert.deepEqual(f.fields[0]!.values, [1_700_000_040_000, 1_700_000_040_000, 1_700_000_100_000, 1_700_000_100_000, 1_700_000_160_000, 1_700_000_160_000]);
    assert.deepEqual(f.fields[1]!.values, ['gpt-4o', '', 'gpt-4o', '', 'gpt-4o', '']);
    assert.deepEqual(f.fields[3]!.values, [120.5, 1, null, 2, 99, 3]);
    assert.equal((f.meta as { preferredVisualisationType: string }).preferredVisualisationType, 'table');
  });

  it('keeps the schema when nothing matched', () => {
    const frames = metricsFrames({ ...result, series: [], seriesTotal: 0 }, 'C', { format: 'time_series' });
    assert.equal(frames.length, 1);
    const f = dataFrameFromJSON(frames[0]!);
    assert.deepEqual(f.fields.map((x) => x.type), ['time', 'number']);
    assert.equal(f.length, 0);
  });
});

describe('cost frames', () => {
  it('summary, breakdown and budgets have typed fields and money units', () => {
    const s = dataFrameFromJSON(
      costSummaryFrame(
        {
          from: 0,
          to: 1,
          totalUsd: 12.5,
          previousUsd: 10,
          changeRatio: 0.25,
          requests: 10,
          pricedRequests: 9,
          unpricedRequests: 1,
          inputTokens: 100,
          outputTokens: 50,
          cachedTokens: 5,
          avgCostPerRequestUsd: 12.5 / 9,
          costPer1kTokensUsd: null,
        },
        'A'
      )
    );
    assert.equal(s.length, 1);
    assert.ok(s.fields.every((f) => f.type === 'number'));
    const unit = (name: string) => s.fields.find((f) => f.name === name)!.config.unit;
    assert.equal(unit('totalUsd'), 'currencyUSD');
    assert.equal(unit('changeRatio'), 'percentunit');
    assert.equal(unit('requests'), 'short');
    assert.deepEqual(s.fields.find((f) => f.name === 'costPer1kTokensUsd')!.values, [null]);

    const b = dataFrameFromJSON(
      costBreakdownFrame(
        {
          from: 0,
          to: 1,
          groupBy: 'model',
          totalUsd: 3,
          otherUsd: 0,
          groupCount: 2,
          rows: [
            { key: 'a', costUsd: 2, share: 2 / 3, requests: 1, inputTokens: 1, outputTokens: 1, avgCostPerRequestUsd: 2 },
            { key: 'b', costUsd: 1, share: 1 / 3, requests: 1, inputTokens: 1, outputTokens: 1, avgCostPerRequestUsd: null },
          ],
        },
        'B'
      )
    );
    assert.deepEqual(b.fields.map((f) => [f.name, f.type]).slice(0, 3), [['model', 'string'], ['costUsd', 'number'], ['share', 'number']]);
    assert.deepEqual(b.fields[1]!.values, [2, 1]);

    const g = dataFrameFromJSON(
      budgetsFrame(
        [
          {
            id: 'x',
            name: 'n',
            scope: { dimension: 'model', value: 'gpt*' },
            period: 'daily',
            amountUsd: 5,
            alertThreshold: 0.8,
            createdAt: '',
            updatedAt: '',
            status: { periodStart: 0, periodEnd: 86_400_000, spentUsd: 1, usedShare: 0.2, projectedUsd: 2, projectedOverageUsd: 0, thresholdReached: false, state: 'ok', rateWindowDays: 1 },
          },
        ],
        'C'
      )
    );
    assert.equal(g.fields.find((f) => f.name === 'scope')!.values[0], 'model=gpt*');
    assert.equal(g.fields.find((f) => f.name === 'periodEnd')!.type, 'time');
  });

  it('forecast: one wide time series with actual, forecast and interval', () => {
    const f = dataFrameFromJSON(
      forecastFrame(
        {
          method: 'm',
          model: 'trend',
          interval: 0.9,
          todaySoFarUsd: 0.5,
          history: [{ dayMs: 0, usd: 1 }],
          forecast: [{ dayMs: 86_400_000, usd: 2, lowerUsd: 1.5, upperUsd: 2.5 }],
          backtest: { points: 0, coverage: null, mape: null, maxHorizonDays: 1 },
        },
        'D'
      )
    );
    assert.ok(isTimeSeriesFrame(f));
    assert.deepEqual(f.fields.map((x) => x.name), ['time', 'actualUsd', 'forecastUsd', 'lowerUsd', 'upperUsd']);
    assert.deepEqual(f.fields[1]!.values, [1, null]);
    assert.deepEqual(f.fields[2]!.values, [null, 2]);
  });
});
