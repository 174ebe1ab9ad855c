import React, { useCallback, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { Alert, Button, EmptyState, LoadingPlaceholder, useStyles2 } from '@grafana/ui';

import { grafanaUrl } from '../../../shared/urls';
import { exploreTraceUrl, frameDataSource } from '../data/explore';
import { findTraceListFrame, readTraceList, type TraceListRow } from '../data/traceList';
import { buildTraceTree, findTraceFrames } from '../data/traceTree';
import { useTraceFetch } from '../hooks/useTraceFetch';
import type { TracePanelOptions } from '../types';
import { traceIdLinks } from './links';
import { testIds } from './testIds';
import { TraceDetail, type ExploreLink } from './TraceDetail';
import { TraceList } from './TraceList';

export type TracePanelProps = PanelProps<TracePanelOptions>;

/**
 * The trace list of a `traces` query; a click on a row opens that trace's waterfall in the
 * panel. The spans come from the panel's own data when it holds that trace (a `trace` query),
 * else they are fetched through the same data source. A lone `trace` query shows its trace.
 */
export function TracePanel({ data, options, width, height, timeZone, id, fieldConfig, timeRange }: TracePanelProps) {
  const styles = useStyles2(getStyles);
  const listFrame = useMemo(() => findTraceListFrame(data.series), [data.series]);
  const rows = useMemo(() => (listFrame ? readTraceList(listFrame) : []), [listFrame]);
  const traceFrames = useMemo(() => findTraceFrames(data.series), [data.series]);
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [attempt, setAttempt] = useState(0);
  // The list's scroll position survives a visit to a trace.
  const listScrollTop = useRef(0);
  const [restoreScrollTop, setRestoreScrollTop] = useState(0);

  const datasource = useMemo(() => frameDataSource(data, listFrame), [data, listFrame]);
  const inData = selectedId ? traceFrames.get(selectedId) : undefined;
  const fetched = useTraceFetch(selectedId && !inData ? selectedId : undefined, datasource, timeRange, attempt);

  // Without a list, a lone trace query shows its trace straight away.
  const traceId = selectedId ?? (!listFrame ? traceFrames.keys().next().value : undefined);
  const traceFrame = traceId
    ? (traceFrames.get(traceId) ?? (fetched.status === 'done' ? fetched.frame : undefined))
    : undefined;
  const tree = useMemo(() => (traceFrame ? buildTraceTree(traceFrame) : undefined), [traceFrame]);
  const selectedRow = selectedId ? rows.find((r) => r.traceID === selectedId) : undefined;

  const linksFor = useCallback((row: TraceListRow) => traceIdLinks(listFrame, row.rowIndex), [listFrame]);
  const onSelect = useCallback((row: TraceListRow) => {
    setRestoreScrollTop(listScrollTop.current);
    setSelectedId(row.traceID);
  }, []);
  const onBack = useCallback(() => setSelectedId(undefined), []);
  const onScrollTop = useCallback((top: number) => {
    listScrollTop.current = top;
  }, []);

  const explore = useMemo((): ExploreLink | undefined => {
    if (!traceId) {
      return undefined;
    }
    const link = selectedRow ? linksFor(selectedRow)[0] : undefined;
    if (link) {
      return { href: link.href, target: link.target, onClick: link.onClick };
    }
    const ref = frameDataSource(data, traceFrame ?? listFrame);
    return ref
      ? {
          href: grafanaUrl(
            exploreTraceUrl(ref, traceId, { from: timeRange.from.valueOf(), to: timeRange.to.valueOf() })
          ),
        }
      : undefined;
  }, [traceId, selectedRow, linksFor, data, traceFrame, listFrame, timeRange]);

  if (!listFrame && traceFrames.size === 0) {
    return (
      <PanelDataErrorView
        panelId={id}
        fieldConfig={fieldConfig}
        data={data}
        message={
          data.series.length > 0 ? 'This panel shows the results of PyFlare “Traces” and “Trace” queries' : undefined
        }
      />
    );
  }

  if (tree && traceId) {
    return (
      <div className={styles.panel} data-testid={testIds.panel}>
        {tree.spans.length === 0 ? (
          <TraceMessage onBack={listFrame ? onBack : undefined} explore={explore}>
            <EmptyState variant="not-found" hideImage message="This trace has no spans">
              The service has no spans for trace <code>{traceId}</code>. Its spans may not have arrived yet or may have
              expired.
            </EmptyState>
          </TraceMessage>
        ) : (
          <TraceDetail
            key={traceId}
            tree={tree}
            width={width}
            height={height}
            timeZone={timeZone}
            options={options}
            onBack={listFrame ? onBack : undefined}
            explore={explore}
          />
        )}
      </div>
    );
  }

  if (selectedId) {
    return (
      <div className={styles.panel} data-testid={testIds.panel}>
        <TraceMessage onBack={onBack} explore={explore}>
          {fetched.status === 'error' ? (
            <div data-testid={testIds.missingTrace}>
              <Alert severity="warning" title={`Could not load trace ${selectedRow?.rootName || selectedId}`}>
                <div>{fetched.message}</div>
                <Button size="sm" variant="secondary" icon="sync" onClick={() => setAttempt((n) => n + 1)}>
                  Retry
                </Button>
              </Alert>
            </div>
          ) : (
            <div data-testid={testIds.loading}>
              <LoadingPlaceholder text={`Loading trace ${selectedRow?.rootName || selectedId}…`} />
            </div>
          )}
        </TraceMessage>
      </div>
    );
  }

  if (rows.length === 0) {
    return (
      <div className={styles.panel} data-testid={testIds.panel}>
        <div className={styles.empty} data-testid={testIds.empty}>
          <EmptyState variant="not-found" hideImage={height < 260} message="No traces in this time range">
            Widen the time range or relax the search. Traces appear here as soon as the PyFlare service receives them
            over OTLP.
          </EmptyState>
        </div>
      </div>
    );
  }

  return (
    <div className={styles.panel} data-testid={testIds.panel} style={{ height }}>
      <TraceList
        rows={rows}
        options={options}
        timeZone={timeZone}
        height={height}
        selectedTraceId={selectedId}
        onSelect={onSelect}
        linksFor={linksFor}
        initialScrollTop={restoreScrollTop}
        onScrollTopChange={onScrollTop}
      />
    </div>
  );
}

/** The header of the trace view (back, Explore) around a loading, error or empty message. */
function TraceMessage({
  onBack,
  explore,
  children,
}: {
  onBack?: () => void;
  explore?: ExploreLink;
  children: React.ReactNode;
}) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.message}>
      <div className={styles.messageHeader}>
        {onBack && (
          <Button
            size="sm"
            variant="secondary"
            fill="text"
            icon="arrow-left"
            onClick={onBack}
            data-testid={testIds.back}
          >
            Traces
          </Button>
        )}
        {explore && (
          <a
            href={explore.href}
            target={explore.target}
            onClick={explore.onClick}
            className={styles.link}
            data-testid={testIds.exploreLink}
          >
            Open in Explore
          </a>
        )}
      </div>
      <div className={styles.messageBody}>{children}</div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    display: 'flex',
    flexDirection: 'column',
    width: '100%',
    height: '100%',
    minHeight: 0,
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
  }),
  message: css({
    display: 'flex',
    flexDirection: 'column',
    height: '100%',
  }),
  messageHeader: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    paddingBottom: theme.spacing(0.5),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  messageBody: css({
    flex: 1,
    display: 'flex',
    flexDirection: 'column',
    justifyContent: 'center',
    padding: theme.spacing(2),
  }),
  link: css({
    marginLeft: 'auto',
    color: theme.colors.text.link,
    whiteSpace: 'nowrap',
  }),
});
