import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { DataSource } from '../../datasource';
import { selectors } from '../../selectors';
import type { PyflareOptions, PyflareQueryOf } from '../../types';
import { AlertsEditor } from './AlertsEditor';
import { ALL_FEATURES, DriftEditor, driftFeatureOptions, driftModelOptions } from './DriftEditor';

// The Combobox menu's scroll indicators observe visibility; jsdom has no IntersectionObserver.
class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
// Its option list is virtualized (@tanstack/virtual sizes the menu by clientHeight): jsdom lays
// out nothing, so elements get a size while these tests run.
const realClientHeight = Object.getOwnPropertyDescriptor(Element.prototype, 'clientHeight');
const realClientWidth = Object.getOwnPropertyDescriptor(Element.prototype, 'clientWidth');
beforeAll(() => {
  Object.defineProperty(window, 'IntersectionObserver', { configurable: true, writable: true, value: NoopObserver });
  Object.defineProperty(Element.prototype, 'clientHeight', { configurable: true, get: () => 300 });
  Object.defineProperty(Element.prototype, 'clientWidth', { configurable: true, get: () => 300 });
});
afterAll(() => {
  Object.defineProperty(Element.prototype, 'clientHeight', realClientHeight!);
  Object.defineProperty(Element.prototype, 'clientWidth', realClientWidth!);
});

const ids = selectors.query.drift;
const v = QUERY_MODEL_VERSION;

function loaders() {
  return {
    catalog: jest.fn(async (kind: string) => (kind === 'models' ? ['gpt-4o'] : [])),
    budgets: jest.fn(async () => []),
    driftModels: jest.fn(async () => ['churn', 'fraud']),
    driftFeatures: jest.fn(async (modelId: string) => (modelId === 'fraud' ? ['amount', 'age', 'merchant'] : [])),
  };
}

const values = (opts: Array<{ value: string }>) => opts.map((o) => o.value);

describe('driftFeatureOptions', () => {
  it('lists the features of the chosen model, with * in the scores view', async () => {
    const l = loaders();
    const opts = driftFeatureOptions(l.driftFeatures, 'fraud', 'feature', 'scores');
    expect(values(await opts(''))).toEqual([ALL_FEATURES, 'amount', 'age', 'merchant']);
    expect(values(await opts('AM'))).toEqual(['amount']);
    expect(l.driftFeatures).toHaveBeenCalledWith('fraud', 'feature');
    // A distribution shows one feature: no "every feature".
    const dist = driftFeatureOptions(l.driftFeatures, 'fraud', 'feature', 'distribution');
    expect(values(await dist(''))).toEqual(['amount', 'age', 'merchant']);
  });

  it('asks for the drift type of the query (feature drift for all) and nothing without a model', async () => {
    const l = loaders();
    await driftFeatureOptions(l.driftFeatures, '$model', 'all', 'scores')('');
    expect(l.driftFeatures).toHaveBeenLastCalledWith('$model', 'feature');
    await driftFeatureOptions(l.driftFeatures, 'fraud', 'llm', 'scores')('');
    expect(l.driftFeatures).toHaveBeenLastCalledWith('fraud', 'llm');
    l.driftFeatures.mockClear();
    expect(values(await driftFeatureOptions(l.driftFeatures, ' ', 'feature', 'scores')(''))).toEqual([ALL_FEATURES]);
    expect(l.driftFeatures).not.toHaveBeenCalled();
  });

  it('offers drift engine models, plus LLM models for LLM drift', async () => {
    const l = loaders();
    expect(values(await driftModelOptions(l.driftModels, () => l.catalog('models'), 'feature')(''))).toEqual([
      'churn',
      'fraud',
    ]);
    expect(l.catalog).not.toHaveBeenCalled();
    expect(values(await driftModelOptions(l.driftModels, () => l.catalog('models'), 'llm')(''))).toEqual([
      'churn',
      'fraud',
      'gpt-4o',
    ]);
  });
});

describe('DriftEditor', () => {
  const setup = (query: PyflareQueryOf<'drift'>) => {
    const l = loaders();
    const onChange = jest.fn();
    const utils = render(<DriftEditor query={query} onChange={onChange} {...l} />);
    return { ...l, onChange, ...utils };
  };

  it('shows the saved feature in a picker fed by the model’s features', async () => {
    const q: PyflareQueryOf<'drift'> = {
      refId: 'A',
      queryType: 'drift',
      pluginVersion: v,
      modelId: 'fraud',
      driftType: 'feature',
      feature: 'amount',
    };
    const { onChange, driftFeatures } = setup(q);
    const input = screen.getByTestId(ids.feature);
    expect(input).toHaveValue('amount');
    expect(input).toHaveAttribute('role', 'combobox');

    await act(async () => fireEvent.click(input));
    fireEvent.click(await screen.findByRole('option', { name: 'merchant' }));
    expect(driftFeatures).toHaveBeenCalledWith('fraud', 'feature');
    expect(onChange).toHaveBeenLastCalledWith({ ...q, feature: 'merchant' });
  });

  it('takes a feature the service does not list yet (or a variable)', async () => {
    const q: PyflareQueryOf<'drift'> = { refId: 'A', queryType: 'drift', pluginVersion: v, modelId: 'fraud' };
    const { onChange } = setup(q);
    const input = screen.getByTestId(ids.feature);
    expect(input).toHaveValue('');
    expect(input).toHaveAttribute('placeholder', 'Overall score');
    await act(async () => fireEvent.click(input));
    await act(async () => fireEvent.change(input, { target: { value: '$feature' } }));
    fireEvent.click(await screen.findByRole('option', { name: /\$feature/ }));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, feature: '$feature' });
  });

  it('asks for a feature in the distribution view', () => {
    setup({ refId: 'A', queryType: 'drift', pluginVersion: v, modelId: 'fraud', view: 'distribution' });
    expect(screen.getByTestId(ids.feature)).toHaveAttribute('placeholder', 'Choose a feature');
  });

  it('picks the model from the drift engine’s models', async () => {
    const q: PyflareQueryOf<'drift'> = { refId: 'A', queryType: 'drift', pluginVersion: v };
    const { onChange, driftModels } = setup(q);
    await act(async () => fireEvent.click(screen.getByTestId(ids.modelId)));
    fireEvent.click(await screen.findByRole('option', { name: 'churn' }));
    expect(driftModels).toHaveBeenCalled();
    expect(onChange).toHaveBeenLastCalledWith({ ...q, modelId: 'churn' });
  });
});

describe('AlertsEditor', () => {
  it('picks the model of drift alerts from the drift engine’s models', async () => {
    const l = loaders();
    const onChange = jest.fn();
    const q: PyflareQueryOf<'alerts'> = { refId: 'A', queryType: 'alerts', pluginVersion: v };
    render(<AlertsEditor query={q} onChange={onChange} {...l} />);
    await act(async () => fireEvent.click(screen.getByTestId(selectors.query.alerts.modelId)));
    fireEvent.click(await screen.findByRole('option', { name: 'fraud' }));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, modelId: 'fraud' });
  });
});

describe('DataSource.getDriftFeatures', () => {
  const ds = new DataSource({
    uid: 'pf',
    jsonData: {},
    meta: { id: 'pyflare-observability-datasource' },
  } as unknown as DataSourceInstanceSettings<PyflareOptions>);

  it('reads drift/heatmap through the backend resources, resolving model variables', async () => {
    const getResource = jest.spyOn(ds, 'getResource').mockImplementation(async (_path: string, params?: unknown) => ({
      features: (params as { modelId: string }).modelId === 'fraud' ? ['amount', 'age'] : ['tenure', 'age'],
    }));
    setTemplateSrv({
      replace: (target: string, _s?: ScopedVars, format?: unknown) =>
        target === '$models' && typeof format === 'function' ? format(['fraud', 'churn']) : target,
    } as unknown as TemplateSrv);

    await expect(ds.getDriftFeatures('fraud')).resolves.toEqual(['age', 'amount']);
    expect(getResource).toHaveBeenCalledWith('drift/heatmap', {
      modelId: 'fraud',
      driftType: 'feature',
      from: '0',
      to: expect.stringMatching(/^\d+$/),
    });
    // A multi-value variable: the features of each model, merged.
    await expect(ds.getDriftFeatures('$models', 'prediction')).resolves.toEqual(['age', 'amount', 'tenure']);
    expect(getResource).toHaveBeenCalledWith(
      'drift/heatmap',
      expect.objectContaining({ modelId: 'churn', driftType: 'prediction' })
    );
    // An unknown variable lists nothing rather than asking the service about "$nope".
    getResource.mockClear();
    await expect(ds.getDriftFeatures('$nope')).resolves.toEqual([]);
    await expect(ds.getDriftFeatures('')).resolves.toEqual([]);
    expect(getResource).not.toHaveBeenCalled();
  });
});
