import { dataFrameFromJSON, toDataFrame } from '@grafana/data';

import { agentListRow, T0, traceListJSON } from '../testData';
import { findTraceListFrame, readTraceList, readWaterfall, sortTraceRows, traceHighlights } from './traceList';

const rows = [
  agentListRow(),
  agentListRow({
    traceID: 'b'.repeat(32),
    rootName: 'rag.query',
    serviceName: 'search',
    models: 'claude-sonnet-4',
    durationMs: 8000,
    status: 'ok',
    errorCount: 0,
    costUsd: 0.25,
    startTime: T0 + 60_000,
    waterfall: [],
  }),
];

describe('readTraceList', () => {
  it('reads the service’s trace list frame', () => {
    const frame = dataFrameFromJSON(traceListJSON(rows));
    expect(findTraceListFrame([frame])).toBe(frame);
    const out = readTraceList(frame);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      rowIndex: 0,
      traceID: rows[0]!.traceID,
      startTime: T0,
      rootName: 'agent.run',
      serviceName: 'checkout-agent',
      models: ['gpt-4o', 'gpt-4o-mini'],
      durationMs: 1000,
      status: 'error',
      spanCount: 5,
      errorCount: 1,
      totalTokens: 2500,
      costUsd: 0.0062,
    });
    expect(readWaterfall(out[0]!.waterfallCell).map((s) => [s.spanID, s.depth])).toEqual([
      ['a1', 0],
      ['b2', 1],
      ['c3', 1],
      ['d4', 1],
      ['e5', 1],
    ]);
    expect(out[1]!.models).toEqual(['claude-sonnet-4']);
  });

  it('ignores frames of other queries', () => {
    const ts = toDataFrame({
      fields: [
        { name: 'time', values: [1] },
        { name: 'value', values: [2] },
      ],
    });
    expect(findTraceListFrame([ts])).toBeUndefined();
  });

  it('tolerates missing columns and odd cells', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'traceID', values: ['x'] },
        { name: 'rootName', values: [null] },
        { name: 'durationMs', values: ['12.5'] },
        { name: 'waterfall', values: ['not json'] },
      ],
    });
    expect(findTraceListFrame([frame])).toBe(frame);
    expect(readTraceList(frame)[0]).toMatchObject({
      traceID: 'x',
      rootName: '',
      durationMs: 12.5,
      status: 'ok',
      models: [],
      totalTokens: 0,
    });
    expect(readWaterfall(readTraceList(frame)[0]!.waterfallCell)).toEqual([]);
  });
});

describe('readWaterfall', () => {
  it('accepts JSON strings and drops invalid entries', () => {
    const cell = JSON.stringify([
      { spanID: 'a', parentSpanID: '', offsetMs: 0, durationMs: 10, spanKind: 'agent', status: 'ok' },
      { spanID: 'b', parentSpanID: 'a', offsetMs: 2, durationMs: 5 },
      { spanID: 'c', offsetMs: 'soon' },
    ]);
    expect(readWaterfall(cell)).toEqual([
      { spanID: 'a', parentSpanID: '', offsetMs: 0, durationMs: 10, spanKind: 'agent', status: 'ok', depth: 0 },
      { spanID: 'b', parentSpanID: 'a', offsetMs: 2, durationMs: 5, spanKind: 'span', status: 'ok', depth: 1 },
    ]);
  });

  it('survives parent cycles', () => {
    const spans = readWaterfall([
      { spanID: 'a', parentSpanID: 'b', offsetMs: 0, durationMs: 1 },
      { spanID: 'b', parentSpanID: 'a', offsetMs: 0, durationMs: 1 },
    ]);
    expect(spans).toHaveLength(2);
  });
});

describe('sortTraceRows', () => {
  const read = readTraceList(dataFrameFromJSON(traceListJSON(rows)));

  it('sorts by each column in both directions', () => {
    expect(sortTraceRows(read, { key: 'durationMs', direction: 'desc' }).map((r) => r.rootName)).toEqual([
      'rag.query',
      'agent.run',
    ]);
    expect(sortTraceRows(read, { key: 'costUsd', direction: 'asc' }).map((r) => r.rootName)).toEqual([
      'agent.run',
      'rag.query',
    ]);
    expect(sortTraceRows(read, { key: 'status', direction: 'desc' }).map((r) => r.status)).toEqual(['error', 'ok']);
    expect(sortTraceRows(read, { key: 'serviceName', direction: 'asc' }).map((r) => r.serviceName)).toEqual([
      'checkout-agent',
      'search',
    ]);
  });

  it('does not reorder its input', () => {
    sortTraceRows(read, { key: 'startTime', direction: 'desc' });
    expect(read[0]!.rootName).toBe('agent.run');
  });
});

describe('traceHighlights', () => {
  const [agent, rag] = readTraceList(dataFrameFromJSON(traceListJSON(rows)));
  const thresholds = { slowThresholdMs: 5000, expensiveThresholdUsd: 0.1 };

  it('flags errors, slow and expensive traces', () => {
    expect(traceHighlights(agent!, thresholds)).toEqual({ error: true, slow: false, expensive: false });
    expect(traceHighlights(rag!, thresholds)).toEqual({ error: false, slow: true, expensive: true });
  });

  it('turns a highlight off with a zero threshold', () => {
    expect(traceHighlights(rag!, { slowThresholdMs: 0, expensiveThresholdUsd: 0 })).toEqual({
      error: false,
      slow: false,
      expensive: false,
    });
  });
});
