import { computeCriticalPath, type CriticalPathNode } from './criticalPath';

function node(spanID: string, startMs: number, endMs: number, children: CriticalPathNode[] = []): CriticalPathNode {
  return { spanID, startMs, endMs, children };
}

const segments = (cp: Map<string, Array<[number, number]>>) => Object.fromEntries(cp.entries());

describe('computeCriticalPath', () => {
  it('follows the last-finishing child back through sequential calls', () => {
    // root 0-100: llm 10-40, tool 45-60, llm 65-95; the root's own time fills the gaps.
    const root = node('root', 0, 100, [node('a', 10, 40), node('b', 45, 60), node('c', 65, 95)]);
    expect(segments(computeCriticalPath([root]))).toEqual({
      root: [
        [0, 10],
        [40, 45],
        [60, 65],
        [95, 100],
      ],
      a: [[10, 40]],
      b: [[45, 60]],
      c: [[65, 95]],
    });
  });

  it('skips a parallel child that finished before its sibling', () => {
    const root = node('root', 0, 100, [node('slow', 0, 90), node('fast', 0, 30)]);
    const cp = computeCriticalPath([root]);
    expect(cp.has('fast')).toBe(false);
    expect(cp.get('slow')).toEqual([[0, 90]]);
    expect(cp.get('root')).toEqual([[90, 100]]);
  });

  it('takes the part of an overlapping child that the path waited for', () => {
    // b starts before a ends: only a's part before b started is on the path.
    const root = node('root', 0, 100, [node('a', 0, 60), node('b', 40, 100)]);
    const cp = computeCriticalPath([root]);
    expect(cp.get('b')).toEqual([[40, 100]]);
    expect(cp.get('a')).toEqual([[0, 40]]);
    expect(cp.has('root')).toBe(false);
  });

  it('clips children that overflow their parent (clock skew)', () => {
    const root = node('root', 0, 50, [node('child', 10, 80)]);
    const cp = computeCriticalPath([root]);
    expect(cp.get('child')).toEqual([[10, 50]]);
    expect(cp.get('root')).toEqual([[0, 10]]);
  });

  it('recurses into grandchildren', () => {
    const root = node('root', 0, 100, [node('agent', 0, 100, [node('llm', 20, 80)])]);
    const cp = computeCriticalPath([root]);
    expect(cp.get('llm')).toEqual([[20, 80]]);
    expect(cp.get('agent')).toEqual([
      [0, 20],
      [80, 100],
    ]);
    expect(cp.has('root')).toBe(false);
  });

  it('spans several roots', () => {
    const cp = computeCriticalPath([node('r1', 0, 10), node('r2', 20, 30)]);
    expect(cp.get('r1')).toEqual([[0, 10]]);
    expect(cp.get('r2')).toEqual([[20, 30]]);
  });

  it('handles a chain nested deeper than the call stack', () => {
    let leaf = node('n0', 0, 1);
    for (let i = 1; i < 50_000; i++) {
      leaf = node(`n${i}`, 0, 1, [leaf]);
    }
    const cp = computeCriticalPath([leaf]);
    expect(cp.get('n0')).toEqual([[0, 1]]);
  });

  it('returns nothing for no spans', () => {
    expect(computeCriticalPath([]).size).toBe(0);
  });
});
