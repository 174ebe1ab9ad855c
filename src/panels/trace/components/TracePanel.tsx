import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { EmptyState, Icon, useStyles2 } from '@grafana/ui';

import { findTraceListFrame, readTraceList, type TraceListRow } from '../data/traceList';
import { buildTraceTree, findTraceFrames } from '../data/traceTree';
import type { TracePanelOptions } from '../types';
import { traceIdLinks } from './links';
import { testIds } from './testIds';
import { TraceDetail } from './TraceDetail';
import { TraceList } from './TraceList';

export type TracePanelProps = PanelProps<TracePanelOptions>;

/**
 * The trace list of a `traces` query; a row opens the span waterfall when the panel's
 * data also holds that trace (a second, `trace` query, typically `${traceId}`-driven),
 * otherwise it offers the Explore link the service put on the traceID field.
 */
export function TracePanel({ data, options, width, height, timeZone, id, fieldConfig }: TracePanelProps) {
  const styles = useStyles2(getStyles);
  const listFrame = useMemo(() => findTraceListFrame(data.series), [data.series]);
  const rows = useMemo(() => (listFrame ? readTraceList(listFrame) : []), [listFrame]);
  const traceFrames = useMemo(() => findTraceFrames(data.series), [data.series]);
  const [selected, setSelected] = useState<TraceListRow | undefined>();

  // Without a list, a lone trace query shows its trace straight away.
  const traceId = selected?.traceID ?? (!listFrame ? traceFrames.keys().next().value : undefined);
  const traceFrame = traceId ? traceFrames.get(traceId) : undefined;
  const tree = useMemo(() => (traceFrame ? buildTraceTree(traceFrame) : undefined), [traceFrame]);

  if (!listFrame && !tree) {
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

  if (tree) {
    return (
      <div className={styles.panel} data-testid={testIds.panel}>
        <TraceDetail
          tree={tree}
          width={width}
          height={height}
          timeZone={timeZone}
          onBack={listFrame ? () => setSelected(undefined) : undefined}
          links={selected ? traceIdLinks(listFrame, selected.rowIndex) : []}
        />
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

  const selectedLinks = selected ? traceIdLinks(listFrame, selected.rowIndex) : [];
  return (
    <div className={styles.panel} data-testid={testIds.panel} style={{ height }}>
      {selected && (
        <div className={styles.notice} data-testid={testIds.missingTrace} role="status">
          <Icon name="info-circle" />
          <span>
            The spans of <code>{selected.rootName || selected.traceID}</code> are not in this panel&apos;s data. Add a
            “Trace” query for <code>$traceId</code> to open traces here.
          </span>
          {selectedLinks[0] && (
            <a
              href={selectedLinks[0].href}
              target={selectedLinks[0].target}
              onClick={selectedLinks[0].onClick}
              className={styles.noticeLink}
            >
              Open in Explore
            </a>
          )}
        </div>
      )}
      <div className={styles.scroll}>
        <TraceList
          rows={rows}
          options={options}
          timeZone={timeZone}
          selectedTraceId={selected?.traceID}
          onSelect={setSelected}
          linksFor={(row) => traceIdLinks(listFrame, row.rowIndex)}
        />
      </div>
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
  scroll: css({
    flex: 1,
    minHeight: 0,
    overflow: 'auto',
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
  }),
  notice: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.75, 1),
    marginBottom: theme.spacing(0.5),
    borderRadius: theme.shape.radius.default,
    background: theme.colors.info.transparent,
    border: `1px solid ${theme.colors.info.border}`,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  noticeLink: css({
    marginLeft: 'auto',
    color: theme.colors.text.link,
    whiteSpace: 'nowrap',
  }),
});
