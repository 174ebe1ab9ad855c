import { decode } from '../testing/decode';
import { driftScenario } from '../testing/synthetic';
import {
  activeAlertsFor,
  autoView,
  availableViews,
  featureResultFor,
  filterDriftTypes,
  readDriftData,
} from './driftData';

const sc = driftScenario({ features: 6, buckets: 24 });

describe('views', () => {
  const all = readDriftData(decode([...sc.overall, ...sc.perFeature, sc.features, sc.alerts]));

  it('offers each view the data supports', () => {
    expect(availableViews(all, true)).toEqual(['overview', 'heatmap', 'distribution']);
    expect(availableViews(all, false)).toEqual(['overview', 'heatmap']);
    expect(availableViews(readDriftData(decode(sc.overall)), true)).toEqual(['overview']);
    expect(availableViews(readDriftData(decode([sc.distribution])), false)).toEqual(['distribution']);
  });

  it('auto: distribution frames alone -> distribution, per-feature series alone -> heatmap, else overview', () => {
    expect(autoView(all)).toBe('overview');
    expect(autoView(readDriftData(decode(sc.perFeature)))).toBe('heatmap');
    expect(autoView(readDriftData(decode([sc.features])))).toBe('heatmap');
    expect(autoView(readDriftData(decode([sc.distribution])))).toBe('distribution');
    expect(autoView(readDriftData(decode([sc.perFeature[0]!])))).toBe('overview');
  });

  it('filters drift types everywhere', () => {
    const f = filterDriftTypes(all, ['concept']);
    expect(f.series.map((s) => s.driftType)).toEqual(['concept']);
    expect(f.features).toEqual([]);
    expect(f.alerts.map((a) => a.driftType)).toEqual(['concept']);
    expect(filterDriftTypes(all, [])).toBe(all);
  });

  it('matches alerts and feature results to series', () => {
    expect(activeAlertsFor(all.alerts, { model: sc.model, driftType: 'feature' })).toHaveLength(1);
    expect(activeAlertsFor(all.alerts, { model: sc.model, driftType: 'feature', feature: 'country' })).toHaveLength(0);
    expect(activeAlertsFor(all.alerts, { model: 'other', driftType: 'concept' })).toHaveLength(0);
    expect(featureResultFor(all.features, { model: sc.model, driftType: 'feature', feature: 'country' })?.test).toBe(
      'jensenshannon'
    );
    expect(featureResultFor(all.features, { driftType: 'feature' })?.test).toBe('drift_share');
  });
});
