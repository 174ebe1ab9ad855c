import React from 'react';
import { render, screen } from '@testing-library/react';
import type { AppRootProps, DataSourceInstanceSettings } from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';

import { App, testIds } from './App';

function withDataSources(list: Array<Partial<DataSourceInstanceSettings>>) {
  setDataSourceSrv({
    getList: () => list as DataSourceInstanceSettings[],
  } as unknown as DataSourceSrv);
}

const props = {} as AppRootProps;

describe('App', () => {
  it('explains the suite and offers to add a data source when there is none', () => {
    withDataSources([]);
    render(<App {...props} />);
    expect(screen.getByTestId(testIds.app)).toBeInTheDocument();
    expect(screen.getByText('Trace panel')).toBeInTheDocument();
    expect(screen.getByText('Drift panel')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Add data source/ })).toHaveAttribute(
      'href',
      '/connections/datasources/pyflare-observability-datasource'
    );
    expect(screen.getByTestId(testIds.datasources)).toHaveTextContent('No PyFlare data source is configured yet.');
  });

  it('links to an existing data source', () => {
    withDataSources([{ uid: 'pf1', name: 'PyFlare prod', type: 'pyflare-observability-datasource' }]);
    render(<App {...props} />);
    expect(screen.getByRole('link', { name: 'Settings' })).toHaveAttribute('href', '/connections/datasources/edit/pf1');
    expect(screen.getByRole('link', { name: /Explore traces/ }).getAttribute('href')).toContain(
      '/explore?schemaVersion=1&panes='
    );
    expect(screen.getByTestId(testIds.datasources)).toHaveTextContent('PyFlare prod');
  });
});
