import React from 'react';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { FieldType, LoadingState, toDataFrame, type DataFrame, type DataQueryRequest } from '@grafana/data';
import { locationService, setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { of } from 'rxjs';

import { panelProps } from '../../../shared/panelProps';
import { decode } from '../testing/decode';
import { categoricalDistributionJSON, driftScenario } from '../testing/synthetic';
import { defaultDriftOptions, type DriftPanelOptions } from '../types';
import { DriftPanel } from './DriftPanel';
import { testIds } from './testIds';

const sc = driftScenario({ features: 8, buckets: 24 });

function renderPanel(series: DataFrame[], options: Partial<DriftPanelOptions> = {}, over = {}) {
  const props = panelProps({ ...defaultDriftOptions, ...options }, series, { width: 1000, height: 420, ...over });
  return render(<DriftPanel {...props} />);
}

const cards = () => screen.getAllByTestId(testIds.card);

// jsdom has no ResizeObserver; Grafana's tooltip container measures itself with one.
beforeAll(() => {
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
});

describe('DriftPanel overview', () => {
  it('shows one gauge per drift type with thresholds, sparkline and alert indicators', () => {
    renderPanel(decode([...sc.overall, sc.alerts]));
    expect(screen.getByTestId(testIds.panel)).toHaveAttribute('data-view', 'overview');
    expect(cards().map((c) => c.getAttribute('aria-label'))).toEqual([
      'Feature drift (fraud-detector)',
      'Prediction drift (fraud-detector)',
      'Embedding drift (fraud-detector)',
      'Concept drift (fraud-detector)',
      'LLM behaviour drift (fraud-detector)',
    ]);
    const concept = within(cards()[3]!);
    expect(concept.getByTestId(testIds.cardAlert)).toHaveAttribute(
      'title',
      'Drift alert active since 2025-01-15 09:00'
    );
    expect(concept.getByTestId(testIds.sparkline)).toBeInTheDocument();
    expect(concept.getByTestId(testIds.gauge)).toBeInTheDocument();
    expect(concept.getByText(/threshold 0\.100/)).toBeInTheDocument();
    expect(within(cards()[4]!).getByText('fraud-detector · support-bot')).toBeInTheDocument();
    expect(within(cards()[2]!).getByTestId(testIds.status)).toHaveTextContent('OK');
    expect(within(cards()[2]!).queryByTestId(testIds.cardAlert)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.alert)).toHaveTextContent('2 drift alerts active');
  });

  it('judges by fixed thresholds when asked', () => {
    renderPanel(decode([sc.overall[2]!]), {
      thresholds: { source: 'fixed', warningRatio: 0.8, warning: 0.001, critical: 0.01 },
    });
    expect(screen.getByTestId(testIds.status)).toHaveTextContent('Drift');
  });

  it('filters drift types, shows empty gauges for wanted types without data, hides sparklines and alerts', () => {
    renderPanel(decode([...sc.overall, sc.alerts]), {
      driftTypes: ['concept', 'custom'],
      showSparkline: false,
      alertOnDrift: false,
    });
    expect(cards().map((c) => c.getAttribute('data-drift-type'))).toEqual(['concept', 'custom']);
    expect(within(cards()[1]!).getByTestId(testIds.status)).toHaveTextContent('No data');
    expect(screen.queryByTestId(testIds.sparkline)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.cardAlert)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.alert)).not.toBeInTheDocument();
  });
});

describe('DriftPanel heatmap', () => {
  it('shows features worst first with a legend, and sorts by name on request', () => {
    renderPanel(decode([...sc.perFeature, sc.features, sc.alerts]));
    expect(screen.getByTestId(testIds.panel)).toHaveAttribute('data-view', 'heatmap');
    expect(screen.getByTestId(testIds.heatmapCanvas)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.legend)).toHaveTextContent('Drift level (1 = threshold)');
    const rows = () => screen.getAllByTestId(testIds.heatmapRow).map((r) => r.getAttribute('data-feature'));
    expect(rows()).toHaveLength(8);
    expect(rows()[0]).toBe('account_age_days');
    expect(screen.getAllByTestId(testIds.heatmapRow)[0]).toHaveAttribute('data-status', 'critical');
    expect(
      within(screen.getAllByTestId(testIds.heatmapRow)[0]!).getByLabelText('Drift alert active')
    ).toBeInTheDocument();
    fireEvent.click(within(screen.getByTestId(testIds.heatmapSort)).getByText('Name'));
    expect(rows()).toEqual([...rows()].sort());
  });

  it('is usable from the keyboard: arrows move a cell cursor with its tooltip, Enter opens the distribution', () => {
    renderPanel(decode([...sc.perFeature, sc.features, sc.distribution]), { heatmapSort: 'name' });
    const plot = screen.getByRole('group', { name: /Drift heatmap: 8 features by 24 time buckets/ });
    act(() => plot.focus());
    const tip = () => screen.getByTestId(testIds.heatmapTooltip);
    expect(tip()).toHaveTextContent('account_age_days');
    expect(tip()).toHaveTextContent('Wasserstein (normed)');
    expect(tip()).toHaveTextContent('2025-01-15 12:00 – 13:00');
    fireEvent.keyDown(plot, { key: 'ArrowDown' });
    expect(tip()).toHaveTextContent('basket_value');
    fireEvent.keyDown(plot, { key: 'ArrowUp' });
    fireEvent.keyDown(plot, { key: 'ArrowLeft' });
    expect(tip()).toHaveTextContent('2025-01-15 11:00 – 12:00');
    fireEvent.keyDown(plot, { key: 'Enter' });
    expect(screen.getByTestId(testIds.distribution)).toHaveAttribute('data-feature', 'account_age_days');
  });

  it('opens the clicked feature’s distribution from the panel’s data and sets the feature variable', () => {
    renderPanel(decode([...sc.overall, ...sc.perFeature, sc.features, sc.distribution]), {
      mode: 'heatmap',
      featureVariable: 'feature',
    });
    fireEvent.click(screen.getAllByTestId(testIds.heatmapRow).find((r) => r.dataset.feature === 'account_age_days')!);
    expect(screen.getByTestId(testIds.panel)).toHaveAttribute('data-view', 'distribution');
    const view = screen.getByTestId(testIds.distribution);
    expect(view).toHaveAttribute('data-feature', 'account_age_days');
    expect(screen.getByTestId(testIds.distributionStats)).toHaveTextContent(/Wasserstein \(normed\)/);
    expect(screen.getAllByTestId(testIds.distributionBin)).toHaveLength(10);
    expect(locationService.getSearchObject()['var-feature']).toBe('account_age_days');
    // Back to the heatmap with the view switch.
    fireEvent.click(within(screen.getByTestId(testIds.viewSwitch)).getByText('Features'));
    expect(screen.getByTestId(testIds.panel)).toHaveAttribute('data-view', 'heatmap');
  });

  it('fetches a distribution the data does not hold through the panel’s data source', async () => {
    const requests: DataQueryRequest[] = [];
    setDataSourceSrv({
      get: async () => ({
        query: (req: DataQueryRequest) => {
          requests.push(req);
          return of({ data: decode([categoricalDistributionJSON()]), state: LoadingState.Done });
        },
      }),
    } as unknown as DataSourceSrv);
    const series = decode([...sc.perFeature, sc.features]);
    const props = panelProps({ ...defaultDriftOptions }, series, { width: 1000, height: 420 });
    props.data = {
      ...props.data,
      request: { targets: [{ refId: 'A', datasource: { uid: 'pyflare', type: 'pyflare-observability-datasource' } }] },
    } as typeof props.data;
    render(<DriftPanel {...props} />);
    await act(async () => {
      fireEvent.click(screen.getAllByTestId(testIds.heatmapRow).find((r) => r.dataset.feature === 'payment_method')!);
    });
    expect(requests[0]!.targets[0]).toMatchObject({
      queryType: 'drift',
      view: 'distribution',
      feature: 'payment_method',
      modelId: 'fraud-detector',
      datasource: { uid: 'pyflare' },
    });
    expect(await screen.findByTestId(testIds.distributionChart)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.distributionStats)).toHaveTextContent('Chi-square');
    expect(screen.getByTestId(testIds.distributionStats)).toHaveTextContent('< 0.0001');
    expect(screen.getByTestId(testIds.distribution)).toHaveTextContent('Drift');
  });
});

describe('DriftPanel distribution', () => {
  it('shows category bars with the test, statistic and p-value', () => {
    renderPanel(decode([categoricalDistributionJSON()]));
    expect(screen.getByTestId(testIds.panel)).toHaveAttribute('data-view', 'distribution');
    // Categories by reference share, the catch-all last.
    expect(screen.getAllByTestId(testIds.distributionBin).map((b) => b.getAttribute('data-bin'))).toEqual([
      'card',
      'paypal',
      'bank_transfer',
      'gift_card',
      'crypto',
      '(other)',
    ]);
    const stats = screen.getByTestId(testIds.distributionStats);
    expect(stats).toHaveTextContent('Chi-square');
    expect(stats).toHaveTextContent('312.4');
    expect(stats).toHaveTextContent('p < 0.0001 ≤ 0.05');
    expect(stats).toHaveTextContent('Largest shift');
  });

  it('says what to add when a feature’s distribution is neither in the data nor fetchable', () => {
    renderPanel(decode([...sc.perFeature]), { mode: 'heatmap' });
    fireEvent.click(screen.getAllByTestId(testIds.heatmapRow)[0]!);
    expect(screen.getByTestId(testIds.distribution)).toHaveTextContent(/add a Drift query with view Distribution/);
  });
});

describe('DriftPanel states', () => {
  it('shows Grafana’s no-data view without frames', () => {
    renderPanel([]);
    expect(screen.getByTestId(testIds.empty)).toHaveTextContent('No drift data in this time range');
  });

  it('shows the query error', () => {
    const props = panelProps({ ...defaultDriftOptions }, [], { width: 800, height: 300 });
    props.data = { ...props.data, state: LoadingState.Error, errors: [{ message: 'drift: unknown model' }] };
    render(<DriftPanel {...props} />);
    expect(screen.getByText(/drift: unknown model/)).toBeInTheDocument();
  });

  it('uses Grafana’s data error view for frames without drift data', () => {
    renderPanel([toDataFrame({ fields: [{ name: 'msg', type: FieldType.string, values: ['x'] }] })]);
    expect(screen.getByText(/Unable to render data/)).toBeInTheDocument();
  });

  it('says when the drift type filter leaves nothing', () => {
    renderPanel(decode([sc.distribution]), { driftTypes: ['llm'] });
    expect(screen.getByTestId(testIds.empty)).toHaveTextContent('No drift data of the selected drift types (llm)');
  });
});
