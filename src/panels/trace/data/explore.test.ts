import { dataFrameFromJSON, type DataQueryRequest, type PanelData } from '@grafana/data';

import { panelProps } from '../../../shared/panelProps';
import { agentListRow, traceListJSON } from '../testData';
import { exploreTraceUrl, frameDataSource, traceByIdQuery } from './explore';

const data = (targets: unknown[]): PanelData => ({
  ...panelProps({}, []).data,
  request: { targets } as unknown as DataQueryRequest,
});

describe('frameDataSource', () => {
  const frame = dataFrameFromJSON(traceListJSON([agentListRow()]));
  frame.refId = 'B';

  it('takes the data source of the frame’s own query', () => {
    const d = data([
      { refId: 'A', datasource: { type: 'x', uid: 'other' } },
      { refId: 'B', datasource: { type: 'pyflare', uid: 'mine' } },
    ]);
    expect(frameDataSource(d, frame)).toEqual({ type: 'pyflare', uid: 'mine' });
  });

  it('falls back to the Explore link the service put on traceID', () => {
    expect(frameDataSource(data([{ refId: 'B', datasource: { uid: '-- Mixed --' } }]), frame)).toEqual({
      uid: 'pyflare',
    });
  });
});

describe('exploreTraceUrl', () => {
  it('opens a trace query for the trace in Explore', () => {
    const url = exploreTraceUrl({ type: 'pyflare', uid: 'ds1' }, 'abc', { from: 1000, to: 2000 });
    expect(url.startsWith('/explore?schemaVersion=1&panes=')).toBe(true);
    const panes = JSON.parse(new URLSearchParams(url.split('?')[1]).get('panes') ?? '{}');
    expect(panes.trace).toEqual({
      datasource: 'ds1',
      queries: [{ ...traceByIdQuery('abc', { type: 'pyflare', uid: 'ds1' }), refId: 'A' }],
      range: { from: '1000', to: '2000' },
      compact: false,
    });
    expect(panes.trace.queries[0]).toMatchObject({ queryType: 'trace', traceId: 'abc' });
  });
});
