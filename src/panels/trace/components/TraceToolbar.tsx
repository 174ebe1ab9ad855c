import React, { type KeyboardEvent } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, IconButton, InlineSwitch, Input, RadioButtonGroup, useStyles2 } from '@grafana/ui';

import type { LegendEntry } from '../hooks/useSpanColors';
import type { ColorBy, TraceViewState } from '../hooks/useTraceViewState';
import { testIds } from './testIds';

interface Props {
  state: TraceViewState;
  legend: LegendEntry[];
  compact: boolean;
}

const COLOR_OPTIONS: Array<{ value: ColorBy; label: string }> = [
  { value: 'spanKind', label: 'Kind' },
  { value: 'service', label: 'Service' },
];

/** Search with match navigation, collapse/expand all, critical path, colors and zoom. */
export function TraceToolbar({ state, legend, compact }: Props) {
  const styles = useStyles2(getStyles);
  const { matches, matchIndex, query } = state;

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (e.shiftKey) {
        state.prevMatch();
      } else {
        state.nextMatch();
      }
    } else if (e.key === 'Escape') {
      state.search('');
    }
  };

  const count =
    query.trim() === ''
      ? undefined
      : state.searchPending
        ? 'Searching…'
        : matches.length === 0
          ? 'No matches'
          : matchIndex >= 0
            ? `${matchIndex + 1} of ${matches.length}`
            : `${matches.length} ${matches.length === 1 ? 'match' : 'matches'}`;

  return (
    <div className={styles.toolbar} data-testid={testIds.toolbar}>
      <div className={styles.search}>
        <Input
          value={query}
          onChange={(e) => state.search(e.currentTarget.value)}
          onKeyDown={onSearchKey}
          prefix={<Icon name="search" />}
          suffix={
            count ? (
              <span className={styles.count} data-testid={testIds.matchCount} aria-live="polite">
                {count}
              </span>
            ) : undefined
          }
          placeholder="Search spans: text, key=value, duration>1s, error"
          aria-label="Search spans"
          data-testid={testIds.search}
        />
        <IconButton
          name="arrow-up"
          tooltip="Previous match (Shift+Enter)"
          onClick={state.prevMatch}
          disabled={matches.length === 0}
        />
        <IconButton
          name="arrow-down"
          tooltip="Next match (Enter)"
          onClick={state.nextMatch}
          disabled={matches.length === 0}
        />
      </div>
      <span className={styles.group}>
        <IconButton name="angle-double-right" tooltip="Collapse all" onClick={state.collapseAll} />
        <IconButton name="angle-double-down" tooltip="Expand all" onClick={state.expandAll} />
      </span>
      <span className={styles.group}>
        <IconButton name="search-minus" tooltip="Zoom out" onClick={state.zoomOut} disabled={!state.zoomed} />
        <IconButton name="search-plus" tooltip="Zoom in (or drag across the time ruler)" onClick={state.zoomIn} />
        <IconButton name="history" tooltip="Reset zoom" onClick={state.resetZoom} disabled={!state.zoomed} />
      </span>
      <InlineSwitch
        label="Critical path"
        showLabel
        transparent
        value={state.showCriticalPath}
        onChange={(e) => state.setShowCriticalPath(e.currentTarget.checked)}
      />
      <span className={styles.group}>
        {!compact && <span className={styles.label}>Color by</span>}
        <RadioButtonGroup size="sm" options={COLOR_OPTIONS} value={state.colorBy} onChange={state.setColorBy} />
      </span>
      {!compact && (
        <span className={styles.legend} aria-label="Legend" data-testid={testIds.legend}>
          {legend.map((l) => (
            <span key={l.label} className={styles.legendItem}>
              <span className={styles.swatch} style={{ background: l.color }} />
              {l.label}
            </span>
          ))}
          {state.showCriticalPath && (
            <span className={styles.legendItem}>
              <span className={styles.criticalSwatch} />
              critical path
            </span>
          )}
        </span>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 1.5),
    padding: theme.spacing(0.5, 0),
  }),
  search: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.25),
    flex: '1 1 260px',
    maxWidth: 420,
    minWidth: 200,
  }),
  count: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
  }),
  group: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
  }),
  label: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  legend: css({
    display: 'inline-flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.25, 1),
    marginLeft: 'auto',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  legendItem: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: 3,
    whiteSpace: 'nowrap',
  }),
  swatch: css({
    width: 8,
    height: 8,
    borderRadius: 2,
  }),
  criticalSwatch: css({
    width: 12,
    height: 3,
    borderRadius: 1,
    background: theme.colors.text.primary,
  }),
});
