import { decode } from '../testing/decode';
import { driftScenario, HOUR, scoresFrameJSON, SYNTHETIC_END } from '../testing/synthetic';
import { defaultDriftOptions } from '../types';
import { readDriftData } from './driftData';
import { buildHeatmap, cellAt, scoreThresholdOf, sortHeatmapRows, timeColumns } from './heatmap';

const opts = { thresholds: defaultDriftOptions.thresholds };
const T = (h: number) => SYNTHETIC_END + h * HOUR;

function series(
  feature: string,
  hours: number[],
  values: number[],
  threshold = 0.1,
  driftType = 'feature',
  model = 'm'
) {
  return scoresFrameJSON({ model, driftType, feature, times: hours.map(T), values, threshold });
}

describe('timeColumns', () => {
  it('makes a regular grid of the bucket width, so gaps stay visible', () => {
    const s = readDriftData(decode([series('a', [0, 1, 4], [0, 0, 0]), series('b', [2], [0])])).series;
    expect(timeColumns(s)).toEqual({ times: [0, 1, 2, 3, 4].map(T), bucketMs: HOUR });
  });

  it('falls back to the distinct times when they are off the grid', () => {
    const s = readDriftData(decode([series('a', [0, 1], [0, 0]), series('b', [1.5], [0])])).series;
    expect(timeColumns(s).times).toEqual([T(0), T(1), T(1.5)]);
  });
});

describe('buildHeatmap', () => {
  it('puts every feature series on the grid in units of its own threshold', () => {
    const m = buildHeatmap(
      readDriftData(decode([series('age', [0, 1, 2], [0.05, 0.1, 0.3]), series('ks_feat', [0, 2], [0.5, 0.99], 0.95)])),
      opts
    );
    expect(m.times).toEqual([T(0), T(1), T(2)]);
    expect(m.bucketMs).toBe(HOUR);
    expect(m.warningLevel).toBe(0.8);
    expect(m.fixedCritical).toBeUndefined();
    const [age, ks] = m.rows;
    expect(Array.from(age!.levels).map((v) => Number(v.toFixed(2)))).toEqual([0.5, 1, 3]);
    expect(Array.from(age!.scores)).toEqual([0.05, 0.1, 0.3]);
    expect(age).toMatchObject({ label: 'age', currentScore: 0.3, status: 'critical' });
    expect(age!.current).toBeCloseTo(3);
    expect(Number.isNaN(ks!.levels[1]!)).toBe(true);
    expect(ks!.current).toBeCloseTo(0.99 / 0.95);
  });

  it('labels rows with drift type and model when the heatmap mixes them', () => {
    const m = buildHeatmap(
      readDriftData(decode([series('age', [0], [0.1]), series('tokens', [0], [0.1], 0.2, 'llm', 'bot')])),
      opts
    );
    expect(m.rows.map((r) => r.label)).toEqual(['m / age · Feature', 'bot / tokens · LLM behaviour']);
  });

  it('joins the latest test results and alerts', () => {
    const sc = driftScenario({ features: 6, buckets: 12 });
    const m = buildHeatmap(readDriftData(decode([...sc.perFeature, sc.features, sc.alerts])), opts);
    const age = m.rows.find((r) => r.feature === 'account_age_days')!;
    expect(age.result).toMatchObject({ test: 'wasserstein', threshold: 0.1 });
    expect(age.alertActive).toBe(true);
    expect(m.rows.find((r) => r.feature === 'country')!.result?.test).toBe('jensenshannon');
  });

  it('shows one column of latest results when only a features frame is there', () => {
    const sc = driftScenario({ features: 4, buckets: 6 });
    const m = buildHeatmap(readDriftData(decode([sc.features])), opts);
    expect(m.times).toHaveLength(1);
    expect(Number.isNaN(m.times[0]!)).toBe(true);
    expect(m.rows.map((r) => r.feature)).toEqual(['account_age_days', 'basket_value', 'country', 'device_type']);
    expect(m.rows[0]!.levels[0]).toBeGreaterThan(1);
  });

  it('reports fixed thresholds so the legend can show scores', () => {
    const m = buildHeatmap(readDriftData(decode([series('a', [0], [0.1])])), {
      thresholds: { source: 'fixed', warningRatio: 0.8, warning: 0.1, critical: 0.4 },
    });
    expect(m.fixedCritical).toBe(0.4);
    expect(m.warningLevel).toBe(0.25);
    expect(m.rows[0]!.levels[0]).toBeCloseTo(0.25);
  });
});

describe('scoreThresholdOf', () => {
  it('turns a features row’s test threshold into its score threshold', () => {
    expect(scoreThresholdOf({ test: 'ks', threshold: 0.05 })).toBeCloseTo(0.95);
    expect(scoreThresholdOf({ test: 'wasserstein', threshold: 0.1 })).toBe(0.1);
    expect(scoreThresholdOf({ test: 'domain_classifier_auc', threshold: 0.55 })).toBeCloseTo(0.1);
    expect(scoreThresholdOf({ test: 'ks' })).toBeUndefined();
  });
});

describe('sortHeatmapRows', () => {
  const m = buildHeatmap(
    readDriftData(
      decode([
        series('b_peak', [0, 1], [0.5, 0.01]),
        series('a_now', [0, 1], [0.05, 0.2]),
        series('c_none', [0], [0.01]),
        series('feature_10', [0, 1], [0.01, 0.01]),
        series('feature_9', [0, 1], [0.01, 0.01]),
      ])
    ),
    opts
  );
  const names = (sort: 'current' | 'peak' | 'name') => sortHeatmapRows(m.rows, sort).map((r) => r.feature);

  it('sorts by latest drift, peak drift or name (numbers in names in order)', () => {
    // Equal latest drift: the higher peak first.
    expect(names('current')).toEqual(['a_now', 'b_peak', 'c_none', 'feature_9', 'feature_10']);
    expect(names('peak')).toEqual(['b_peak', 'a_now', 'c_none', 'feature_9', 'feature_10']);
    expect(names('name')).toEqual(['a_now', 'b_peak', 'c_none', 'feature_9', 'feature_10']);
  });
});

describe('cellAt', () => {
  const grid = { cols: 168, rows: 200, width: 840, rowHeight: 14 };
  it('finds the cell under a point', () => {
    expect(cellAt(0, 0, grid)).toEqual({ row: 0, col: 0 });
    expect(cellAt(839.9, 200 * 14 - 0.1, grid)).toEqual({ row: 199, col: 167 });
    expect(cellAt(12, 15, grid)).toEqual({ row: 1, col: 2 });
    expect(cellAt(840, 0, grid)).toBeUndefined();
    expect(cellAt(10, 200 * 14, grid)).toBeUndefined();
    expect(cellAt(-1, 0, grid)).toBeUndefined();
  });
});
