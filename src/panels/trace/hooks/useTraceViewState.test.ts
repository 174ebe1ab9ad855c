import { act, renderHook } from '@testing-library/react';

import { buildTraceTree } from '../data/traceTree';
import { agentTraceFrame } from '../testData';
import { useTraceViewState } from './useTraceViewState';

const tree = buildTraceTree(agentTraceFrame());
const setup = () => renderHook(() => useTraceViewState(tree, { colorBy: 'spanKind', showCriticalPath: true }));

describe('useTraceViewState', () => {
  it('collapses, expands and collapses everything', () => {
    const { result } = setup();
    expect(result.current.rows).toHaveLength(5);
    act(() => result.current.toggle('a1'));
    expect(result.current.rows.map((s) => s.spanID)).toEqual(['a1']);
    act(() => result.current.expandAll());
    expect(result.current.rows).toHaveLength(5);
    act(() => result.current.collapseAll());
    expect(result.current.rows).toHaveLength(1);
  });

  it('steps through search matches, revealing and selecting each', () => {
    const { result } = setup();
    act(() => result.current.collapseAll());
    act(() => result.current.search('chat'));
    expect(result.current.matches).toEqual(['b2', 'd4']);
    act(() => result.current.nextMatch());
    expect(result.current.matchIndex).toBe(0);
    expect(result.current.selectedId).toBe('b2');
    expect(result.current.rows.map((s) => s.spanID)).toContain('b2');
    expect(result.current.reveal).toEqual({ spanID: 'b2', nonce: 1 });
    // Back from the first match wraps to the last.
    act(() => result.current.prevMatch());
    expect(result.current.matchIndex).toBe(1);
    expect(result.current.selectedId).toBe('d4');
    act(() => result.current.search(''));
    expect(result.current.matches).toEqual([]);
    expect(result.current.matchIndex).toBe(-1);
  });

  it('zooms in and out around the center, to a span, and resets', () => {
    const { result } = setup();
    expect(result.current.zoomed).toBe(false);
    act(() => result.current.zoomIn());
    expect(result.current.view).toEqual({ start: 250, end: 750 });
    act(() => result.current.pan(100));
    expect(result.current.view).toEqual({ start: 350, end: 850 });
    act(() => result.current.zoomOut());
    expect(result.current.view).toEqual({ start: 0, end: 1000 });
    act(() => result.current.zoomToSpan('c3'));
    expect(result.current.view).toEqual({ start: 415, end: 525 });
    act(() => result.current.resetZoom());
    expect(result.current.zoomed).toBe(false);
  });
});
