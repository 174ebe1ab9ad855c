import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { FieldType, toDataFrame, type DataFrame } from '@grafana/data';

import { panelProps } from '../../../shared/panelProps';
import { defaultDriftOptions, type DriftPanelOptions } from '../types';
import { DriftPanel } from './DriftPanel';
import { testIds } from './testIds';

const t = (m: number) => Date.UTC(2025, 0, 15, 12, m);

function scores(driftType: string, values: number[], feature?: string): DataFrame {
  return toDataFrame({
    fields: [
      { name: 'time', type: FieldType.time, values: values.map((_, i) => t(i)) },
      { name: 'score', type: FieldType.number, labels: feature ? { driftType, feature } : { driftType }, values },
    ],
  });
}

function renderPanel(series: DataFrame[], options: Partial<DriftPanelOptions> = {}) {
  return render(<DriftPanel {...panelProps({ ...defaultDriftOptions, ...options }, series)} />);
}

describe('DriftPanel', () => {
  it('shows one card per series, worst first, with status and sparkline', () => {
    renderPanel([scores('embedding', [0.01, 0.02, 0.03]), scores('feature', [0.05, 0.12, 0.26], 'age')]);
    const cards = screen.getAllByTestId(testIds.card);
    expect(cards).toHaveLength(2);
    const first = within(cards[0]!);
    expect(cards[0]).toHaveAccessibleName('Feature drift · age');
    expect(first.getByText('Feature drift')).toBeInTheDocument();
    expect(first.getByText('age')).toBeInTheDocument();
    expect(first.getByTestId(testIds.value)).toHaveTextContent('0.260');
    expect(first.getByTestId(testIds.status)).toHaveTextContent('Drift');
    expect(first.getByTestId(testIds.sparkline)).toBeInTheDocument();
    expect(first.getByTestId(testIds.gauge)).toBeInTheDocument();
    expect(within(cards[1]!).getByTestId(testIds.status)).toHaveTextContent('OK');
    expect(screen.getByTestId(testIds.alert)).toHaveTextContent('Drift detected in 1 of 2 series');
  });

  it('uses the configured thresholds', () => {
    renderPanel([scores('prediction', [0.12, 0.15])], { warningThreshold: 0.2, criticalThreshold: 0.5 });
    expect(screen.getByTestId(testIds.status)).toHaveTextContent('OK');
    expect(screen.queryByTestId(testIds.alert)).not.toBeInTheDocument();
  });

  it('filters drift types and can hide the sparkline and banner', () => {
    renderPanel([scores('embedding', [0.3, 0.4]), scores('concept', [0.3, 0.4])], {
      driftTypes: ['concept'],
      showSparkline: false,
      alertOnDrift: false,
    });
    expect(screen.getAllByTestId(testIds.card)).toHaveLength(1);
    expect(screen.getByText('Concept drift')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.sparkline)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.alert)).not.toBeInTheDocument();
  });

  it('shows an empty state without frames', () => {
    renderPanel([]);
    expect(screen.getByTestId(testIds.empty)).toHaveTextContent('No drift scores in this time range');
  });

  it('uses Grafana’s data error view for frames without numbers', () => {
    renderPanel([toDataFrame({ fields: [{ name: 'msg', type: FieldType.string, values: ['x'] }] })]);
    expect(screen.getByText(/Unable to render data/)).toBeInTheDocument();
  });
});
