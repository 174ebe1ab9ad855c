import type { GrafanaTheme2 } from '@grafana/data';

/** One color per LLM span kind, consistent between the list's mini waterfall and the trace view. */
const KIND_COLORS: Record<string, string> = {
  llm: 'purple',
  embedding: 'light-purple',
  agent: 'blue',
  workflow: 'semi-dark-blue',
  chain: 'semi-dark-blue',
  task: 'semi-dark-blue',
  tool: 'orange',
  retriever: 'green',
  reranker: 'semi-dark-green',
  guardrail: 'yellow',
  evaluator: 'light-orange',
};

/** Legend order of the span kinds; `span` (no LLM kind) last. */
export const SPAN_KIND_ORDER = [
  'agent',
  'workflow',
  'chain',
  'task',
  'llm',
  'embedding',
  'tool',
  'retriever',
  'reranker',
  'guardrail',
  'evaluator',
  'span',
];

export function spanKindColor(theme: GrafanaTheme2, spanKind: string, isError = false): string {
  if (isError) {
    return theme.colors.error.main;
  }
  const name = KIND_COLORS[spanKind];
  return name ? theme.visualization.getColorByName(name) : theme.colors.text.disabled;
}

/** A service's color: Grafana's classic palette in order of first appearance in the trace. */
export function serviceColor(theme: GrafanaTheme2, index: number): string {
  const palette = theme.visualization.palette;
  const name = palette[index % palette.length] ?? 'blue';
  return theme.visualization.getColorByName(name);
}
