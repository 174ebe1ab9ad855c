import { decode } from '../testing/decode';
import { driftScenario, HOUR, scoresFrameJSON, SYNTHETIC_END } from '../testing/synthetic';
import { defaultDriftOptions } from '../types';
import { readDriftData } from './driftData';
import { alertSummary, buildOverview, gaugeLevels } from './overview';

const sc = driftScenario({ features: 8, buckets: 24 });
const opts = { thresholds: defaultDriftOptions.thresholds, driftTypes: [] as string[] };

describe('buildOverview', () => {
  it('gives one gauge per drift type in display order, judged by the series’ own threshold', () => {
    const gauges = buildOverview(readDriftData(decode([...sc.overall, sc.alerts])), opts);
    expect(gauges.map((g) => g.driftType)).toEqual(['feature', 'prediction', 'embedding', 'concept', 'llm']);
    const llm = gauges[4]!;
    expect(llm).toMatchObject({ service: 'support-bot', title: 'LLM behaviour drift', status: 'ok' });
    expect(llm.thresholds).toMatchObject({ warning: 0.2 * 0.8, critical: 0.2, fromData: true, scale: 'linear' });
    const concept = gauges[3]!;
    expect(concept.alertActive).toBe(true);
    expect(concept.alerts.map((a) => a.id)).toEqual(['alert-2']);
    // The feature gauge shows the overall series (drift share), with the feature alert.
    expect(gauges[0]!.series?.feature).toBeUndefined();
    expect(gauges[0]!.alerts.map((a) => a.id)).toEqual(['alert-1']);
  });

  it('follows the worst feature when a drift type has only per-feature series', () => {
    const [g] = buildOverview(readDriftData(decode(sc.perFeature)), opts);
    expect(g).toMatchObject({ driftType: 'feature', worstFeature: 'account_age_days', featureCount: 8 });
    expect(g!.driftingFeatures).toBeGreaterThanOrEqual(1);
    expect(g!.status).toBe('critical');
  });

  it('stands a score past the line in for an alert when the data says nothing about alerts', () => {
    const frame = scoresFrameJSON({
      model: 'm',
      driftType: 'embedding',
      times: [SYNTHETIC_END - HOUR, SYNTHETIC_END],
      values: [0.05, 0.3],
      threshold: 0.1,
    });
    const custom = (frame.schema.meta as { custom: Record<string, unknown> }).custom;
    delete custom.alertActive;
    expect(buildOverview(readDriftData(decode([frame])), opts)[0]!.alertActive).toBe(true);
    // With the engine's flag (false), the flag wins.
    custom.alertActive = false;
    expect(buildOverview(readDriftData(decode([frame])), opts)[0]!.alertActive).toBe(false);
  });

  it('adds empty gauges for wanted drift types without data, and gauges for alerts without scores', () => {
    const gauges = buildOverview(readDriftData(decode([sc.overall[1]!, sc.alerts])), {
      ...opts,
      driftTypes: ['prediction', 'llm'],
    });
    expect(gauges.map((g) => [g.driftType, g.series ? 'data' : 'empty', g.alertActive])).toEqual([
      ['feature', 'empty', true],
      ['prediction', 'data', false],
      ['concept', 'empty', true],
      ['llm', 'empty', false],
    ]);
  });

  it('puts gauges in drift levels: the line at the top, the arc ending at twice it', () => {
    const th = { warning: 0.08, critical: 0.1, warningLevel: 0.8, scale: 'linear' as const, fromData: true };
    expect(gaugeLevels({ thresholds: th })).toEqual({ value: undefined, warning: 0.8, critical: 1, max: 2 });
    expect(gaugeLevels({ thresholds: th, series: { latest: 0.3 } as never }).value).toBeCloseTo(3);
  });

  it('summarises active alerts', () => {
    const gauges = buildOverview(readDriftData(decode([...sc.overall, sc.alerts])), opts);
    expect(alertSummary(gauges)).toEqual({
      count: 2,
      text: '2 drift alerts active: Feature drift (fraud-detector), Concept drift (fraud-detector)',
    });
    expect(alertSummary([])).toBeUndefined();
  });
});
