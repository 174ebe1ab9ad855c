import React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { DataSourceInstanceSettings } from '@grafana/data';
import { setBackendSrv, type BackendSrv } from '@grafana/runtime';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { DataSource } from '../datasource';
import { selectors } from '../selectors';
import type { PyflareOptions, PyflareQuery, PyflareVariableQuery } from '../types';
import { AnnotationQueryEditor } from './AnnotationQueryEditor';
import { SearchInput } from './query/SearchInput';
import { HealthDetailsList, ServiceStatus } from './ServiceStatus';
import { VariableQueryEditor } from './VariableQueryEditor';
import { CostsEditor } from './query/CostsEditor';

const ds = new DataSource({
  uid: 'pf',
  jsonData: {},
  meta: { id: 'pyflare-observability-datasource' },
} as unknown as DataSourceInstanceSettings<PyflareOptions>);
jest.spyOn(ds, 'getCatalog').mockResolvedValue(['user.tier']);
jest.spyOn(ds, 'getDriftModels').mockResolvedValue(['fraud']);
jest.spyOn(ds, 'getBudgets').mockResolvedValue([{ id: 'b1', name: 'daily' }]);
jest.spyOn(ds, 'variableNames').mockReturnValue(['model']);
const v = QUERY_MODEL_VERSION;

describe('SearchInput', () => {
  it('validates as you type and shows where the problem is', () => {
    const onCommit = jest.fn();
    render(<SearchInput value="" onCommit={onCommit} testId="box" />);
    const box = screen.getByTestId('box');
    fireEvent.change(box, { target: { value: 'service:checkout colour:red' } });
    const error = screen.getByTestId(selectors.query.searchError);
    expect(error).toHaveTextContent('Column 18: unknown key "colour"; expected service');
    expect(error.querySelector('pre')!.textContent).toBe(`service:checkout colour:red\n${' '.repeat(17)}^`);
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(onCommit).not.toHaveBeenCalled();

    fireEvent.change(box, { target: { value: 'service:$svc model:(a OR b)' } });
    expect(screen.queryByTestId(selectors.query.searchError)).not.toBeInTheDocument();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onCommit).toHaveBeenCalledWith('service:$svc model:(a OR b)');
  });

  it('shows the syntax help on demand', () => {
    render(<SearchInput value="" onCommit={jest.fn()} testId="box" />);
    expect(screen.queryByTestId(selectors.query.searchHelp)).not.toBeInTheDocument();
    fireEvent.click(screen.getByTestId(selectors.query.searchHelpToggle));
    expect(screen.getByTestId(selectors.query.searchHelp)).toHaveTextContent('model:(gpt-4o OR claude-*)');
  });
});

describe('VariableQueryEditor', () => {
  const setup = (query: PyflareVariableQuery) => {
    const onChange = jest.fn();
    render(<VariableQueryEditor query={query} onChange={onChange} onRunQuery={jest.fn()} datasource={ds} />);
    return onChange;
  };

  it('shows only what the chosen kind needs', () => {
    setup({ refId: 'V', kind: 'services' });
    expect(screen.getByTestId(selectors.variable.kind)).toHaveValue('Services');
    expect(screen.queryByTestId(selectors.variable.model)).not.toBeInTheDocument();
    expect(screen.queryByTestId(selectors.variable.attributeKey)).not.toBeInTheDocument();
    expect(screen.queryByTestId(selectors.variable.problem)).not.toBeInTheDocument();
  });

  it('asks for the model of a features variable and the key of attribute values', () => {
    setup({ refId: 'V', kind: 'features' });
    expect(screen.getByTestId(selectors.variable.model)).toBeInTheDocument();
    expect(screen.getByTestId(selectors.variable.problem)).toHaveTextContent('choose the model');
  });

  it('reads the short text form and edits the time scope', () => {
    const onChange = setup({ refId: 'V', query: 'attribute-values(user.tier)' } as unknown as PyflareVariableQuery);
    expect(screen.getByTestId(selectors.variable.attributeKey)).toHaveValue('user.tier');
    fireEvent.click(screen.getByTestId(selectors.variable.timeScoped));
    expect(onChange).toHaveBeenLastCalledWith({
      refId: 'V',
      kind: 'attribute-values',
      attributeKey: 'user.tier',
      timeScoped: false,
      pluginVersion: v,
    });
  });

  it('rewrites an older saved form once, with pluginVersion, like panel queries', () => {
    const onChange = setup({ refId: 'V', query: 'all:features($model)' } as unknown as PyflareVariableQuery);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({
      refId: 'V',
      kind: 'features',
      modelId: '$model',
      timeScoped: false,
      pluginVersion: v,
    });
    expect(screen.getByTestId(selectors.variable.model)).toHaveValue('$model');
  });

  it('adds the version to a provisioned query and leaves a current one alone', () => {
    expect(setup({ refId: 'V', kind: 'drift-models' })).toHaveBeenCalledWith({
      refId: 'V',
      kind: 'drift-models',
      timeScoped: true,
      pluginVersion: v,
    });
    expect(setup({ refId: 'W', kind: 'models', timeScoped: true, pluginVersion: v })).not.toHaveBeenCalled();
  });
});

describe('AnnotationQueryEditor', () => {
  const setup = (query: PyflareQuery) => {
    const onChange = jest.fn();
    render(<AnnotationQueryEditor query={query} onChange={onChange} onRunQuery={jest.fn()} datasource={ds} />);
    return onChange;
  };
  const radio = (group: string, name: string) => within(screen.getByTestId(group)).getByRole('radio', { name });

  it('edits drift alert annotations and switches to budget breaches', () => {
    const onChange = setup({ refId: 'Anno', queryType: 'alerts', state: 'all', pluginVersion: v });
    expect(radio(selectors.annotation.source, 'Drift alerts')).toBeChecked();
    expect(screen.getByTestId(selectors.annotation.model)).toBeInTheDocument();
    fireEvent.click(radio(selectors.annotation.state, 'Active'));
    expect(onChange).toHaveBeenLastCalledWith({
      refId: 'Anno',
      queryType: 'alerts',
      state: 'active',
      pluginVersion: v,
    });
    fireEvent.click(radio(selectors.annotation.source, 'Budget breaches'));
    expect(onChange).toHaveBeenLastCalledWith({
      refId: 'Anno',
      queryType: 'costs',
      view: 'breaches',
      pluginVersion: v,
    });
  });

  it('migrates a saved target once and leaves a current one alone', () => {
    // Unversioned (provisioned) and without a refId: both are filled in.
    const onChange = setup({ refId: '', queryType: 'costs', view: 'breaches', budget: 'b1' });
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({
      refId: 'Anno',
      queryType: 'costs',
      view: 'breaches',
      budget: 'b1',
      pluginVersion: v,
    });
    expect(radio(selectors.annotation.source, 'Budget breaches')).toBeChecked();
    cleanup();
    // PyFlare's original data source saved drift scores as metrics queries.
    const legacy = setup({
      refId: 'Anno',
      queryType: 'metrics',
      metric: 'drift_score',
      modelId: 'fraud',
    } as unknown as PyflareQuery);
    expect(legacy).toHaveBeenCalledWith({ refId: 'Anno', queryType: 'drift', modelId: 'fraud', pluginVersion: v });
    cleanup();
    expect(setup({ refId: 'Anno', queryType: 'alerts', state: 'active', pluginVersion: v })).not.toHaveBeenCalled();
  });

  it('starts a new annotation as drift alerts, with the version', () => {
    const onChange = jest.fn();
    render(
      <AnnotationQueryEditor
        query={undefined as unknown as PyflareQuery}
        onChange={onChange}
        onRunQuery={jest.fn()}
        datasource={ds}
      />
    );
    expect(onChange).toHaveBeenCalledWith({ refId: 'Anno', queryType: 'alerts', state: 'all', pluginVersion: v });
  });

  it('shows the budget picker for breaches, the saved budget by its name', async () => {
    setup({ refId: 'Anno', queryType: 'costs', view: 'breaches', budget: 'b1', pluginVersion: v });
    expect(radio(selectors.annotation.source, 'Budget breaches')).toBeChecked();
    expect(screen.getByTestId(selectors.annotation.budget)).toHaveValue('b1');
    await waitFor(() => expect(screen.getByTestId(selectors.annotation.budget)).toHaveValue('daily'));
    expect(screen.queryByTestId(selectors.annotation.state)).not.toBeInTheDocument();
  });
});

describe('CostsEditor', () => {
  it('offers the breaches view with a budget picker', () => {
    const onChange = jest.fn();
    render(
      <CostsEditor
        query={{ refId: 'A', queryType: 'costs', view: 'breaches', pluginVersion: v }}
        onChange={onChange}
        catalog={jest.fn().mockResolvedValue([])}
        budgets={jest.fn().mockResolvedValue([])}
        driftModels={jest.fn().mockResolvedValue([])}
        driftFeatures={jest.fn().mockResolvedValue([])}
      />
    );
    expect(
      within(screen.getByTestId(selectors.query.costs.view)).getByRole('radio', { name: 'Budget breaches' })
    ).toBeChecked();
    expect(screen.getByTestId(selectors.query.costs.budget)).toBeInTheDocument();
    expect(screen.queryByTestId(selectors.query.costs.groupBy)).not.toBeInTheDocument();
  });
});

describe('ServiceStatus', () => {
  it('lists the health details', () => {
    render(
      <HealthDetailsList
        ok
        message="PyFlare service 0.1.0 is reachable"
        details={{
          version: '0.1.0',
          storage: 'duckdb',
          spanCount: 42,
          lastSpanTime: new Date(Date.now() - 5 * 60_000).toISOString(),
          scopes: ['read'],
        }}
      />
    );
    const box = screen.getByTestId(selectors.config.healthDetails);
    expect(box).toHaveTextContent('PyFlare service 0.1.0 is reachable');
    expect(box).toHaveTextContent('Service version0.1.0');
    expect(box).toHaveTextContent('Storage engineduckdb');
    expect(box).toHaveTextContent('Spans stored42');
    expect(box).toHaveTextContent(/Data freshnesslast span 5 min ago/);
    expect(box).toHaveTextContent('Token scopesread');
  });

  it('reads the saved data source health again after each save, failures included', async () => {
    const get = jest
      .fn()
      .mockResolvedValueOnce({ status: 'OK', message: 'reachable', details: { version: '0.1.0', storage: 'duckdb' } })
      .mockRejectedValueOnce({
        status: 400,
        data: { status: 'ERROR', message: 'token rejected', details: { errorKind: 'unauthorized' } },
      });
    setBackendSrv({ get } as unknown as BackendSrv);
    const { rerender } = render(<ServiceStatus uid="pf" version={2} />);
    expect(await screen.findByText('reachable')).toBeInTheDocument();
    expect(get).toHaveBeenCalledWith('/api/datasources/uid/pf/health', undefined, undefined, {
      showErrorAlert: false,
      showSuccessAlert: false,
    });
    await act(async () => rerender(<ServiceStatus uid="pf" version={3} />));
    expect(await screen.findByText('token rejected')).toBeInTheDocument();
    expect(screen.getByTestId(selectors.config.healthDetails)).toHaveTextContent('Failureunauthorized');
  });
});
