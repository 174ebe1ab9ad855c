import React from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import type { DataSourceInstanceSettings } from '@grafana/data';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { DataSource } from '../datasource';
import { selectors } from '../selectors';
import type { PyflareOptions, PyflareQuery } from '../types';
import { QueryEditor } from './QueryEditor';

const ds = new DataSource({
  id: 1,
  uid: 'pf',
  type: 'pyflare-observability-datasource',
  name: 'PyFlare',
  access: 'proxy',
  readOnly: false,
  jsonData: {},
  meta: { id: 'pyflare-observability-datasource' },
} as unknown as DataSourceInstanceSettings<PyflareOptions>);
jest.spyOn(ds, 'getCatalog').mockResolvedValue(['checkout-agent']);

const v = QUERY_MODEL_VERSION;

function setup(query: PyflareQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const utils = render(<QueryEditor query={query} onChange={onChange} onRunQuery={onRunQuery} datasource={ds} />);
  return { onChange, onRunQuery, ...utils };
}

function radio(groupTestId: string, name: string) {
  return within(screen.getByTestId(groupTestId)).getByRole('radio', { name });
}

describe('QueryEditor', () => {
  it('renders the traces editor for a new query without rewriting it', () => {
    const { onChange } = setup({ refId: 'A', queryType: 'traces', pluginVersion: v, search: '' });
    expect(radio(selectors.query.queryType, 'Traces')).toBeChecked();
    expect(screen.getByTestId(selectors.query.traces.search)).toBeInTheDocument();
    expect(screen.getByTestId(selectors.query.traces.limit)).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('migrates a saved legacy query when it loads', () => {
    const legacy = { refId: 'A', queryType: 'traces', minDuration: 500, status: 'error' } as unknown as PyflareQuery;
    const { onChange } = setup(legacy);
    expect(onChange).toHaveBeenCalledWith({
      refId: 'A',
      queryType: 'traces',
      status: 'error',
      minDurationMs: 500,
      pluginVersion: v,
    });
    // The editor already shows the migrated form.
    expect(screen.getByTestId(selectors.query.traces.minDuration)).toHaveValue(500);
    expect(radio(selectors.query.traces.status, 'Error')).toBeChecked();
  });

  it('commits the search on blur and runs the query', () => {
    const q: PyflareQuery = { refId: 'A', queryType: 'traces', pluginVersion: v, search: '' };
    const { onChange, onRunQuery } = setup(q);
    const input = screen.getByTestId(selectors.query.traces.search);
    fireEvent.change(input, { target: { value: 'service:checkout-agent status:error' } });
    expect(onChange).not.toHaveBeenCalled();
    fireEvent.blur(input);
    expect(onChange).toHaveBeenCalledWith({ ...q, search: 'service:checkout-agent status:error' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('changes status, sort and limit', () => {
    const q: PyflareQuery = { refId: 'A', queryType: 'traces', pluginVersion: v };
    const { onChange } = setup(q);
    fireEvent.click(radio(selectors.query.traces.status, 'Error'));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, status: 'error' });
    fireEvent.click(radio(selectors.query.traces.sortBy, 'Most expensive'));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, sortBy: 'cost' });
    const limit = screen.getByTestId(selectors.query.traces.limit);
    fireEvent.change(limit, { target: { value: '50000' } });
    fireEvent.keyDown(limit, { key: 'Enter' });
    // Clamped to the model's maximum.
    expect(onChange).toHaveBeenLastCalledWith({ ...q, limit: 10_000 });
  });

  it('switches to a trace lookup without running it empty', () => {
    const { onChange, onRunQuery } = setup({ refId: 'B', queryType: 'traces', pluginVersion: v, hide: false });
    fireEvent.click(radio(selectors.query.queryType, 'Trace'));
    expect(onChange).toHaveBeenCalledWith(
      expect.objectContaining({ refId: 'B', queryType: 'trace', traceId: '', pluginVersion: v, hide: false })
    );
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('validates trace ids but accepts template variables', () => {
    const { rerender, onChange, onRunQuery } = setup({
      refId: 'A',
      queryType: 'trace',
      pluginVersion: v,
      traceId: 'xyz',
    });
    expect(screen.getByText('A trace ID is 32 hex characters')).toBeInTheDocument();
    rerender(
      <QueryEditor
        query={{ refId: 'A', queryType: 'trace', pluginVersion: v, traceId: '${traceId}' }}
        onChange={onChange}
        onRunQuery={onRunQuery}
        datasource={ds}
      />
    );
    expect(screen.queryByText('A trace ID is 32 hex characters')).not.toBeInTheDocument();
    expect(screen.queryByTestId(selectors.query.issues)).not.toBeInTheDocument();
    const input = screen.getByTestId(selectors.query.trace.traceId);
    fireEvent.change(input, { target: { value: ' ' + 'ab'.repeat(16) + ' ' } });
    fireEvent.blur(input);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ traceId: 'ab'.repeat(16) }));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('edits metrics queries', () => {
    const q: PyflareQuery = {
      refId: 'A',
      queryType: 'metrics',
      pluginVersion: v,
      metric: 'latency_ms',
      aggregation: 'p95',
    };
    const { onChange } = setup(q);
    expect(screen.getByTestId(selectors.query.metrics.metric)).toHaveValue('Latency (ms)');
    expect(screen.getByTestId(selectors.query.metrics.aggregation)).toHaveValue('p95');
    fireEvent.click(radio(selectors.query.metrics.format, 'Table'));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, format: 'table' });
    const filter = screen.getByTestId(selectors.query.metrics.filter);
    fireEvent.change(filter, { target: { value: 'model:gpt-4o' } });
    fireEvent.blur(filter);
    expect(onChange).toHaveBeenLastCalledWith({ ...q, filter: 'model:gpt-4o' });
  });

  it('shows the forecast horizon only for forecasts', () => {
    const q: PyflareQuery = { refId: 'A', queryType: 'costs', pluginVersion: v, view: 'summary' };
    const { onChange, rerender, onRunQuery } = setup(q);
    expect(screen.queryByTestId(selectors.query.costs.horizonDays)).not.toBeInTheDocument();
    fireEvent.click(radio(selectors.query.costs.view, 'Forecast'));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, view: 'forecast' });
    rerender(
      <QueryEditor query={{ ...q, view: 'forecast' }} onChange={onChange} onRunQuery={onRunQuery} datasource={ds} />
    );
    expect(screen.getByTestId(selectors.query.costs.horizonDays)).toBeInTheDocument();
  });

  it('edits drift and alerts queries', () => {
    const q: PyflareQuery = { refId: 'A', queryType: 'drift', pluginVersion: v };
    const { onChange, unmount } = setup(q);
    fireEvent.click(radio(selectors.query.drift.driftType, 'Embedding'));
    expect(onChange).toHaveBeenLastCalledWith({ ...q, driftType: 'embedding' });
    const threshold = screen.getByTestId(selectors.query.drift.threshold);
    fireEvent.change(threshold, { target: { value: '0.3' } });
    fireEvent.blur(threshold);
    expect(onChange).toHaveBeenLastCalledWith({ ...q, threshold: 0.3 });
    unmount();

    const a: PyflareQuery = { refId: 'A', queryType: 'alerts', pluginVersion: v };
    const alerts = setup(a);
    fireEvent.click(radio(selectors.query.alerts.state, 'Resolved'));
    expect(alerts.onChange).toHaveBeenLastCalledWith({ ...a, state: 'resolved' });
  });

  it('lists the problems of an invalid saved query', () => {
    setup({ refId: 'A', queryType: 'traces', pluginVersion: v, limit: 0 });
    expect(screen.getByTestId(selectors.query.issues)).toHaveTextContent(/^limit:/);
  });
});
