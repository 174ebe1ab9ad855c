import React, { useCallback, useEffect, useMemo } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { QUERY_TYPES, defaultsFor, describeIssues, pyflareQuerySchema, type QueryType } from '@pyflare/query-model';

import type { CatalogKind, FeatureDriftType } from '../catalog';
import type { DataSource } from '../datasource';
import { QUERY_TYPE_LABELS } from '../labels';
import { migratePyflareQuery, needsMigration } from '../query';
import { selectors } from '../selectors';
import type { PyflareOptions, PyflareQuery, PyflareQueryOf } from '../types';
import { AlertsEditor } from './query/AlertsEditor';
import { CostsEditor } from './query/CostsEditor';
import { DriftEditor } from './query/DriftEditor';
import { MetricsEditor } from './query/MetricsEditor';
import { TraceEditor } from './query/TraceEditor';
import { TracesEditor } from './query/TracesEditor';
import type { EditorLoaders } from './query/types';

export type Props = QueryEditorProps<DataSource, PyflareQuery, PyflareOptions>;

const typeOptions = QUERY_TYPES.map((t) => ({
  value: t,
  label: QUERY_TYPE_LABELS[t].label,
  description: QUERY_TYPE_LABELS[t].description,
}));

/** Problems worth showing: template variables are only known at query time, so fields using them are not judged. */
export function visibleIssues(query: PyflareQuery): string[] {
  const parsed = pyflareQuerySchema.safeParse(query);
  if (parsed.success) {
    return [];
  }
  const record = query as unknown as Record<string, unknown>;
  const issues = parsed.error.issues.filter((i) => {
    const v = record[String(i.path[0])];
    const templated = typeof v === 'string' && v.includes('$');
    const emptyTraceId = query.queryType === 'trace' && i.path[0] === 'traceId' && !v;
    return !templated && !emptyTraceId;
  });
  return issues.length ? describeIssues({ ...parsed.error, issues } as typeof parsed.error) : [];
}

export function QueryEditor({ query: saved, onChange, onRunQuery, datasource }: Props) {
  const styles = useStyles2(getStyles);
  const query = useMemo(() => migratePyflareQuery(saved), [saved]);

  // Saved queries of older versions are rewritten once, so the dashboard saves the new form.
  useEffect(() => {
    if (needsMigration(saved)) {
      onChange(migratePyflareQuery(saved));
    }
  }, [saved, onChange]);

  const catalog = useCallback((kind: CatalogKind, key?: string) => datasource.getCatalog(kind, key), [datasource]);
  const budgets = useCallback(() => datasource.getBudgets(), [datasource]);
  const driftModels = useCallback(() => datasource.getDriftModels(), [datasource]);
  const driftFeatures = useCallback(
    (modelId: string, driftType: FeatureDriftType) => datasource.getDriftFeatures(modelId, driftType),
    [datasource]
  );
  const loaders: EditorLoaders = useMemo(
    () => ({ catalog, budgets, driftModels, driftFeatures }),
    [catalog, budgets, driftModels, driftFeatures]
  );

  const change = (next: PyflareQuery) => {
    onChange(next);
    onRunQuery();
  };

  const changeType = (queryType: QueryType) => {
    if (queryType === query.queryType) {
      return;
    }
    const next = {
      ...defaultsFor(queryType, query.refId),
      datasource: query.datasource,
      hide: query.hide,
      key: query.key,
    };
    // A trace lookup needs an id first; running it empty would only produce an error.
    if (queryType === 'trace') {
      onChange(next);
    } else {
      change(next);
    }
  };

  const issues = visibleIssues(query);

  return (
    <div data-testid={selectors.query.editor} className={styles.editor}>
      <Stack direction="column" gap={0}>
        <InlineFieldRow>
          <InlineField label="Query type" labelWidth={14}>
            <div data-testid={selectors.query.queryType}>
              <RadioButtonGroup<QueryType>
                aria-label="Query type"
                options={typeOptions}
                value={query.queryType}
                onChange={changeType}
              />
            </div>
          </InlineField>
        </InlineFieldRow>
        {renderTypeEditor(query, change, loaders)}
        {issues.length > 0 && (
          <ul data-testid={selectors.query.issues} className={styles.issues} aria-label="Query problems">
            {issues.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
      </Stack>
    </div>
  );
}

function renderTypeEditor(query: PyflareQuery, change: (q: PyflareQuery) => void, loaders: EditorLoaders) {
  switch (query.queryType) {
    case 'traces':
      return <TracesEditor query={query as PyflareQueryOf<'traces'>} onChange={change} {...loaders} />;
    case 'trace':
      return <TraceEditor query={query as PyflareQueryOf<'trace'>} onChange={change} {...loaders} />;
    case 'metrics':
      return <MetricsEditor query={query as PyflareQueryOf<'metrics'>} onChange={change} {...loaders} />;
    case 'costs':
      return <CostsEditor query={query as PyflareQueryOf<'costs'>} onChange={change} {...loaders} />;
    case 'drift':
      return <DriftEditor query={query as PyflareQueryOf<'drift'>} onChange={change} {...loaders} />;
    case 'alerts':
      return <AlertsEditor query={query as PyflareQueryOf<'alerts'>} onChange={change} {...loaders} />;
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({
    width: '100%',
  }),
  issues: css({
    margin: theme.spacing(0.5, 0, 0, 0),
    paddingLeft: theme.spacing(2),
    color: theme.colors.error.text,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
