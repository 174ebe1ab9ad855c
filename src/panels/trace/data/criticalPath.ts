/** What the critical path needs of a span: its interval and its children. */
export interface CriticalPathNode {
  spanID: string;
  startMs: number;
  endMs: number;
  children: CriticalPathNode[];
}

/** Time segments [startMs, endMs] (absolute ms) of each span that lie on the critical path. */
export type CriticalPath = Map<string, Array<[number, number]>>;

/**
 * The critical path of a trace as time segments per span: walking back from the end of a
 * span, its own time counts until the child that finished last (what the span waited for)
 * takes over; before that child started, the next child that finished before it, and so on.
 * Children are clipped to their parent's window, so clock skew cannot stretch the path.
 * Several roots are treated as children of one virtual root spanning the trace.
 * Iterative: a chain of thousands of nested spans must not overflow the call stack.
 */
export function computeCriticalPath(roots: CriticalPathNode[]): CriticalPath {
  const out: CriticalPath = new Map();
  if (roots.length === 0) {
    return out;
  }
  const add = (id: string, from: number, to: number) => {
    if (to <= from || id === '') {
      return;
    }
    const list = out.get(id);
    if (list) {
      list.push([from, to]);
    } else {
      out.set(id, [[from, to]]);
    }
  };

  const start = roots.reduce((m, r) => Math.min(m, r.startMs), Infinity);
  const end = roots.reduce((m, r) => Math.max(m, r.endMs), -Infinity);
  const virtualRoot: CriticalPathNode = { spanID: '', startMs: start, endMs: end, children: roots };
  const stack: Array<{ node: CriticalPathNode; from: number; until: number }> = [
    { node: virtualRoot, from: start, until: end },
  ];

  while (stack.length > 0) {
    const { node, from, until } = stack.pop()!;
    let cursor = until;
    const byEnd = [...node.children].sort((a, b) => b.endMs - a.endMs || b.startMs - a.startMs);
    for (const child of byEnd) {
      if (cursor <= from) {
        break;
      }
      const childEnd = Math.min(child.endMs, cursor);
      if (childEnd <= from) {
        // Sorted by end: every later child ended before the window too.
        break;
      }
      if (child.startMs >= cursor) {
        continue;
      }
      add(node.spanID, childEnd, cursor);
      const childFrom = Math.max(child.startMs, from);
      stack.push({ node: child, from: childFrom, until: childEnd });
      cursor = childFrom;
    }
    add(node.spanID, from, cursor);
  }
  for (const segments of out.values()) {
    segments.sort((a, b) => a[0] - b[0]);
  }
  return out;
}
