import React, { useCallback, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { dateTimeForTimeZone, dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Icon, Portal, useStyles2, VizTooltipContainer } from '@grafana/ui';

import { formatScore } from '../../../shared/format';
import { timeTicks } from '../data/axis';
import { formatPValue, formatStat, isPValueTest, testName } from '../data/distribution';
import { driftStatus, formatLevel, pValueOf } from '../data/levels';
import { cellAt, type HeatmapMatrix, type HeatmapRow } from '../data/heatmap';
import type { DriftColors } from '../hooks/useDriftColors';
import { useHeatmapCanvas } from '../hooks/useHeatmapCanvas';
import { columnEdges } from './drawHeatmap';
import { HeatmapLegend } from './HeatmapLegend';
import { testIds } from './testIds';

interface Props {
  matrix: HeatmapMatrix;
  /** matrix.rows in display order. */
  rows: HeatmapRow[];
  colors: DriftColors;
  width: number;
  height: number;
  timeZone: string;
  showThreshold: boolean;
  alertOnDrift: boolean;
  onOpen(row: HeatmapRow): void;
}

const MIN_ROW = 14;
const MAX_ROW = 26;
const AXIS_HEIGHT = 20;
const LEGEND_HEIGHT = 30;
const VALUE_WIDTH = 52;
const GAP = 6;

interface Hover {
  row: number;
  col: number;
  x: number;
  y: number;
}

export function HeatmapView({
  matrix,
  rows,
  colors,
  width,
  height,
  timeZone,
  showThreshold,
  alertOnDrift,
  onOpen,
}: Props) {
  const styles = useStyles2(getStyles);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<Hover>();
  const cols = matrix.times.length;
  const bodyHeight = Math.max(height - AXIS_HEIGHT - LEGEND_HEIGHT, MIN_ROW);
  // Rows share the height; below MIN_ROW each the list scrolls.
  const rowHeight = Math.max(MIN_ROW, Math.min(MAX_ROW, Math.floor(bodyHeight / Math.max(rows.length, 1))));
  const longest = rows.reduce((m, r) => Math.max(m, r.label.length), 0);
  const labelWidth = Math.round(Math.max(72, Math.min(longest * 6.6 + 30, 240, width * 0.32)));
  const plotWidth = Math.max(width - labelWidth - VALUE_WIDTH - 2 * GAP, 20);
  const rowGap = rowHeight >= 10 ? 1 : 0;
  const geo = useMemo(() => ({ width: plotWidth, rowHeight, rowGap, cols }), [plotWidth, rowHeight, rowGap, cols]);
  useHeatmapCanvas(canvasRef, rows, geo, colors.heatmapLut, colors.noData);

  const xs = useMemo(() => columnEdges(plotWidth, cols), [plotWidth, cols]);
  const single = cols === 1 && Number.isNaN(matrix.times[0]!);
  const span = { from: matrix.times[0] ?? 0, to: (matrix.times[cols - 1] ?? 0) + (matrix.bucketMs || 0) };
  const ticks = useMemo(() => {
    if (single || cols === 0) {
      return [];
    }
    const offset = dateTimeForTimeZone(timeZone, span.from).utcOffset() * 60_000;
    return timeTicks(span.from, span.to, plotWidth, 90, offset);
  }, [single, cols, timeZone, span.from, span.to, plotWidth]);

  const pointAt = useCallback(
    (clientX: number, clientY: number): Hover | undefined => {
      const rect = canvasRef.current?.getBoundingClientRect();
      if (!rect) {
        return undefined;
      }
      const cell = cellAt(clientX - rect.left, clientY - rect.top, {
        cols,
        rows: rows.length,
        width: plotWidth,
        rowHeight,
      });
      return cell ? { ...cell, x: clientX, y: clientY } : undefined;
    },
    [cols, rows.length, plotWidth, rowHeight]
  );

  const focusCell = (row: number, col: number) => {
    const rect = canvasRef.current?.getBoundingClientRect();
    const r = Math.min(Math.max(row, 0), rows.length - 1);
    const c = Math.min(Math.max(col, 0), cols - 1);
    setHover({
      row: r,
      col: c,
      x: (rect?.left ?? 0) + (xs[c + 1]! + xs[c]!) / 2,
      y: (rect?.top ?? 0) + r * rowHeight + rowHeight / 2,
    });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const h = hover ?? { row: 0, col: cols - 1 };
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      Home: [0, -cols],
      End: [0, cols],
    };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      focusCell(h.row + m[0], h.col + m[1]);
    } else if ((e.key === 'Enter' || e.key === ' ') && hover) {
      e.preventDefault();
      onOpen(rows[hover.row]!);
    } else if (e.key === 'Escape') {
      setHover(undefined);
    }
  };

  const hovered = hover ? rows[hover.row] : undefined;
  const hoverTime = hover ? matrix.times[hover.col] : undefined;
  return (
    <div className={styles.heatmap} style={{ width, height }} data-testid={testIds.heatmap}>
      <div className={styles.scroll} style={{ maxHeight: bodyHeight }}>
        <div
          className={styles.grid}
          style={{ gridTemplateColumns: `${labelWidth}px ${plotWidth}px ${VALUE_WIDTH}px`, columnGap: GAP }}
        >
          <div className={styles.labels} role="list" aria-label="Features">
            {rows.map((r, i) => (
              <button
                key={r.key}
                type="button"
                role="listitem"
                className={cx(styles.label, hover?.row === i && styles.labelHover)}
                style={{ height: rowHeight, fontSize: rowHeight < 16 ? 11 : 12 }}
                title={`${r.label}: open the distribution`}
                onClick={() => onOpen(r)}
                data-testid={testIds.heatmapRow}
                data-feature={r.feature}
                data-status={r.status}
              >
                {alertOnDrift && r.alertActive && (
                  <span className={styles.bell} role="img" aria-label="Drift alert active" title="Drift alert active">
                    <Icon name="bell" size="xs" />
                  </span>
                )}
                <span className={styles.labelText}>{r.label}</span>
              </button>
            ))}
          </div>
          <div
            ref={plotRef}
            className={styles.plot}
            style={{ height: rows.length * rowHeight }}
            tabIndex={0}
            role="group"
            aria-roledescription="heatmap"
            aria-label={`Drift heatmap: ${rows.length} features by ${cols} time buckets. Arrow keys move, Enter opens a feature's distribution.`}
            onKeyDown={onKeyDown}
            onFocus={() => {
              // Keyboard users start on the latest bucket of the first row.
              if (!hover && rows.length && cols) {
                focusCell(0, cols - 1);
              }
            }}
            onBlur={() => setHover(undefined)}
          >
            <canvas
              ref={canvasRef}
              className={styles.canvas}
              style={{ width: plotWidth, height: rows.length * rowHeight }}
              data-testid={testIds.heatmapCanvas}
              onMouseMove={(e) => setHover(pointAt(e.clientX, e.clientY))}
              onMouseLeave={() => setHover(undefined)}
              onClick={(e) => {
                const p = pointAt(e.clientX, e.clientY);
                if (p) {
                  onOpen(rows[p.row]!);
                }
              }}
            />
            {hover && (
              <div
                className={styles.cursor}
                style={{
                  left: xs[hover.col]! - 1,
                  top: hover.row * rowHeight - 1,
                  width: xs[hover.col + 1]! - xs[hover.col]! + 2,
                  height: rowHeight - rowGap + 2,
                }}
              />
            )}
          </div>
          <div className={styles.values} aria-label="Latest drift level">
            {rows.map((r) => (
              <span
                key={r.key}
                className={styles.value}
                title={
                  r.currentScore === undefined
                    ? 'No score'
                    : `Latest score ${formatScore(r.currentScore)}, drift line ${formatScore(r.thresholds.critical)}`
                }
                style={{
                  height: rowHeight,
                  lineHeight: `${rowHeight - rowGap}px`,
                  fontSize: rowHeight < 16 ? 11 : 12,
                  color: r.currentScore === undefined ? undefined : colors.statusText[r.status],
                }}
              >
                {Number.isNaN(r.current) ? '–' : formatLevel(r.current)}
              </span>
            ))}
          </div>
        </div>
      </div>
      <div className={styles.axis} style={{ marginLeft: labelWidth + GAP, width: plotWidth }}>
        {single ? (
          <span className={styles.axisLabel} style={{ left: '50%', transform: 'translateX(-50%)' }}>
            latest
          </span>
        ) : (
          ticks.map((t) => (
            <span key={t.time} className={styles.axisLabel} style={{ left: `${t.position * 100}%` }}>
              {dateTimeFormat(t.time, { timeZone, format: t.day ? 'MM-DD' : 'HH:mm' })}
            </span>
          ))
        )}
      </div>
      <HeatmapLegend
        stops={colors.heatmapStops}
        warningLevel={matrix.warningLevel}
        fixedCritical={matrix.fixedCritical}
        showThreshold={showThreshold}
        noData={colors.noData}
        width={width}
      />
      {hover && hovered && (
        <Portal>
          <VizTooltipContainer position={{ x: hover.x, y: hover.y }} offset={{ x: 14, y: 14 }}>
            <CellTooltip
              row={hovered}
              col={hover.col}
              time={hoverTime}
              bucketMs={matrix.bucketMs}
              timeZone={timeZone}
              colors={colors}
            />
          </VizTooltipContainer>
        </Portal>
      )}
    </div>
  );
}

interface TooltipProps {
  row: HeatmapRow;
  col: number;
  time: number | undefined;
  bucketMs: number;
  timeZone: string;
  colors: DriftColors;
}

function CellTooltip({ row, col, time, bucketMs, timeZone, colors }: TooltipProps) {
  const styles = useStyles2(getStyles);
  const score = row.scores[col]!;
  const level = row.levels[col]!;
  const status = Number.isNaN(score) ? undefined : driftStatus(score, row.thresholds);
  const p = pValueOf(score, row.thresholds);
  const logP = row.thresholds.scale === 'log-p';
  const r = row.result;
  const fmt = (t: number) => dateTimeFormat(t, { timeZone, format: 'YYYY-MM-DD HH:mm' });
  const when =
    time === undefined || Number.isNaN(time)
      ? 'latest evaluation'
      : bucketMs
        ? `${fmt(time)} – ${dateTimeFormat(time + bucketMs, { timeZone, format: 'HH:mm' })}`
        : fmt(time);
  return (
    <div className={styles.tooltip} data-testid={testIds.heatmapTooltip}>
      <div className={styles.ttTitle}>
        {row.label}
        {row.model && !row.label.startsWith(`${row.model} /`) ? (
          <span className={styles.ttMuted}> · {row.model}</span>
        ) : null}
      </div>
      <div className={styles.ttMuted}>{when}</div>
      <table className={styles.ttTable}>
        <tbody>
          <tr>
            <th>Score</th>
            <td style={status ? { color: colors.statusText[status] } : undefined}>
              {Number.isNaN(score)
                ? 'no score'
                : logP
                  ? `p ${formatPValue(p)} · level ${formatLevel(level)}`
                  : `${formatScore(score)} · ${formatLevel(level)} threshold`}
            </td>
          </tr>
          <tr>
            <th>Threshold</th>
            <td>
              {logP ? `α ${formatPValue(1 - row.thresholds.critical)}` : formatScore(row.thresholds.critical)}
              <span className={styles.ttMuted}>{row.thresholds.fromData ? ' (data source)' : ' (panel)'}</span>
            </td>
          </tr>
          {(r?.test || row.series?.latestTest) && (
            <tr>
              <th>Test</th>
              <td>{testName(r?.test ?? row.series?.latestTest)}</td>
            </tr>
          )}
          {r && (
            <>
              <tr>
                <th>Statistic</th>
                <td>{formatStat(r.statistic)}</td>
              </tr>
              <tr>
                <th>p-value</th>
                <td>{isPValueTest(r.test) || r.pValue !== undefined ? formatPValue(r.pValue) : 'n/a (distance)'}</td>
              </tr>
              <tr>
                <th>Test threshold</th>
                <td>
                  {formatStat(r.threshold)}
                  {isPValueTest(r.test) ? <span className={styles.ttMuted}> (alpha)</span> : null}
                </td>
              </tr>
            </>
          )}
        </tbody>
      </table>
      {r && <div className={styles.ttMuted}>Test results are the latest evaluation&apos;s.</div>}
      <div className={styles.ttHint}>Click to see the distribution</div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  heatmap: css({
    display: 'flex',
    flexDirection: 'column',
    minHeight: 0,
  }),
  scroll: css({
    overflowY: 'auto',
    overflowX: 'hidden',
    flexShrink: 1,
  }),
  grid: css({
    display: 'grid',
  }),
  labels: css({
    display: 'flex',
    flexDirection: 'column',
    minWidth: 0,
  }),
  label: css({
    all: 'unset',
    boxSizing: 'border-box',
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'flex-end',
    gap: 4,
    paddingRight: 2,
    minWidth: 0,
    cursor: 'pointer',
    color: theme.colors.text.primary,
    borderRadius: 2,
    '&:hover, &:focus-visible': {
      background: theme.colors.action.hover,
      textDecoration: 'underline',
    },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
  }),
  labelHover: css({
    background: theme.colors.action.hover,
  }),
  labelText: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  bell: css({
    display: 'inline-flex',
    color: theme.colors.error.text,
    flexShrink: 0,
  }),
  plot: css({
    position: 'relative',
    outline: 'none',
    '&:focus-visible': { boxShadow: `0 0 0 2px ${theme.colors.primary.main}` },
  }),
  canvas: css({
    display: 'block',
    cursor: 'pointer',
  }),
  cursor: css({
    position: 'absolute',
    pointerEvents: 'none',
    border: `2px solid ${theme.colors.text.primary}`,
    borderRadius: 2,
  }),
  values: css({
    display: 'flex',
    flexDirection: 'column',
  }),
  value: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontVariantNumeric: 'tabular-nums',
    textAlign: 'right',
    whiteSpace: 'nowrap',
    color: theme.colors.text.secondary,
  }),
  axis: css({
    position: 'relative',
    height: AXIS_HEIGHT,
    borderTop: `1px solid ${theme.colors.border.weak}`,
    flexShrink: 0,
  }),
  axisLabel: css({
    position: 'absolute',
    top: 2,
    transform: 'translateX(-50%)',
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
    '&::before': {
      content: '""',
      position: 'absolute',
      top: -3,
      left: '50%',
      width: 1,
      height: 4,
      background: theme.colors.border.strong,
    },
  }),
  tooltip: css({
    minWidth: 220,
    maxWidth: 360,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  ttTitle: css({
    fontWeight: theme.typography.fontWeightMedium,
    fontFamily: theme.typography.fontFamilyMonospace,
    wordBreak: 'break-all',
  }),
  ttMuted: css({
    color: theme.colors.text.secondary,
  }),
  ttTable: css({
    margin: theme.spacing(0.5, 0),
    borderCollapse: 'collapse',
    th: {
      fontWeight: 'normal',
      color: theme.colors.text.secondary,
      textAlign: 'left',
      paddingRight: theme.spacing(1.5),
      whiteSpace: 'nowrap',
    },
    td: { fontVariantNumeric: 'tabular-nums' },
  }),
  ttHint: css({
    marginTop: theme.spacing(0.5),
    color: theme.colors.text.link,
  }),
});
