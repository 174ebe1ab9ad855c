// WHERE conditions of the alert and result listings, shared by the DuckDB and ClickHouse stores:
// the conditions are the same on both engines, only how a value is bound differs ($n versus
// {name:Type}), which each store supplies as a Binder.
import type { AlertFilter, ResultFilter } from './storage.js';

export interface Binder {
  /** Binds one value; returns its placeholder. */
  value(name: string, type: 'String' | 'Int64', v: string | number): string;
  /** Binds a list for `x IN <placeholder>`; returns the placeholder, parentheses included. */
  list(name: string, type: 'String', vs: readonly string[]): string;
}

export function alertConditions(f: AlertFilter, bind: Binder): string[] {
  const conds: string[] = ['true'];
  if (f.state && f.state !== 'all') {
    conds.push(`state = ${bind.value('state', 'String', f.state)}`);
  }
  if (f.modelId) {
    conds.push(`model_id = ${bind.value('m', 'String', f.modelId)}`);
  }
  if (f.driftType && f.driftType !== 'all') {
    conds.push(`drift_type = ${bind.value('dt', 'String', f.driftType)}`);
  }
  // Overlap with the range: opened before its end and not resolved before its start.
  if (f.toMs !== undefined) {
    conds.push(`opened_ms <= ${bind.value('to', 'Int64', f.toMs)}`);
  }
  if (f.fromMs !== undefined) {
    conds.push(`(resolved_ms IS NULL OR resolved_ms >= ${bind.value('from', 'Int64', f.fromMs)})`);
  }
  return conds;
}

export const alertLimit = (f: AlertFilter): number => Math.floor(f.limit ?? 1000);

/** Filters and the time range on bucket start (both ends included). */
export function resultConditions(f: ResultFilter, bind: Binder): string[] {
  const conds: string[] = [
    `bucket_size_ms = ${bind.value('s', 'Int64', f.bucketSizeMs)}`,
    `bucket_ms >= ${bind.value('f', 'Int64', f.fromMs)}`,
    `bucket_ms <= ${bind.value('t', 'Int64', f.toMs)}`,
  ];
  if (f.modelId) {
    conds.push(`model_id = ${bind.value('m', 'String', f.modelId)}`);
  }
  if (f.service) {
    conds.push(`service = ${bind.value('svc', 'String', f.service)}`);
  }
  if (f.driftTypes && f.driftTypes.length) {
    conds.push(`drift_type IN ${bind.list('dts', 'String', f.driftTypes)}`);
  }
  if (f.feature === null) {
    conds.push(`feature = ''`);
  } else if (f.feature !== undefined && f.feature !== '*') {
    conds.push(`feature = ${bind.value('feat', 'String', f.feature)}`);
  } else if (f.feature === '*') {
    conds.push(`feature <> ''`);
  }
  return conds;
}
