import React, { useEffect, useRef, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';

import type { TraceSpan, TraceTree } from '../data/traceTree';
import { clampWindow, panWindow, type TimeWindow } from '../data/viewport';
import { testIds } from './testIds';

interface Props {
  tree: TraceTree;
  view: TimeWindow;
  colorOf: (span: TraceSpan) => string;
  onChange: (w: TimeWindow) => void;
  height?: number;
}

const MIN_DRAG_PX = 4;

/**
 * An overview of the whole trace (every span, one pixel row each at most, on a canvas so ten
 * thousand spans cost one draw) with the zoom window on top: drag across it to pick a range,
 * drag the window to pan, click to center the window there.
 */
export function Minimap({ tree, view, colorOf, onChange, height = 36 }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [drag, setDrag] = useState<
    { mode: 'select'; from: number; to: number } | { mode: 'pan'; startX: number; origin: TimeWindow } | undefined
  >();
  const total = tree.durationMs;

  useEffect(() => {
    const el = boxRef.current;
    if (!el) {
      return;
    }
    const measure = () => setWidth(el.clientWidth);
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext?.('2d');
    if (!canvas || !ctx || width <= 0) {
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const n = tree.spans.length;
    if (n === 0 || total <= 0) {
      return;
    }
    const rowH = height / n;
    const h = Math.max(rowH, 1);
    tree.spans.forEach((s, i) => {
      ctx.fillStyle = s.isError ? theme.colors.error.main : colorOf(s);
      ctx.fillRect((s.offsetMs / total) * width, i * rowH, Math.max((s.durationMs / total) * width, 1), h);
    });
  }, [tree, total, width, height, colorOf, theme]);

  const fracAt = (clientX: number) => {
    const r = boxRef.current?.getBoundingClientRect();
    return r && r.width > 0 ? Math.min(Math.max((clientX - r.left) / r.width, 0), 1) : 0;
  };

  const left = total > 0 ? view.start / total : 0;
  const right = total > 0 ? view.end / total : 1;
  const zoomed = left > 0 || right < 1;

  const onDown = (e: React.PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0 || total <= 0) {
      return;
    }
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const f = fracAt(e.clientX);
    if (zoomed && f >= left && f <= right) {
      setDrag({ mode: 'pan', startX: e.clientX, origin: view });
    } else {
      setDrag({ mode: 'select', from: f, to: f });
    }
  };
  const onMove = (e: React.PointerEvent<HTMLDivElement>) => {
    if (!drag) {
      return;
    }
    if (drag.mode === 'select') {
      setDrag({ ...drag, to: fracAt(e.clientX) });
    } else if (width > 0) {
      onChange(panWindow(drag.origin, ((e.clientX - drag.startX) / width) * total, total));
    }
  };
  const onUp = () => {
    if (drag?.mode === 'select') {
      if (Math.abs(drag.to - drag.from) * width >= MIN_DRAG_PX) {
        onChange(
          clampWindow({ start: Math.min(drag.from, drag.to) * total, end: Math.max(drag.from, drag.to) * total }, total)
        );
      } else if (zoomed) {
        // A click centers the current window there.
        const w = view.end - view.start;
        onChange(clampWindow({ start: drag.from * total - w / 2, end: drag.from * total + w / 2 }, total));
      }
    }
    setDrag(undefined);
  };

  const selection = drag?.mode === 'select' ? drag : undefined;
  return (
    <div
      ref={boxRef}
      className={styles.box}
      style={{ height }}
      onPointerDown={onDown}
      onPointerMove={onMove}
      onPointerUp={onUp}
      onPointerCancel={() => setDrag(undefined)}
      data-testid={testIds.minimap}
      title="Drag to zoom, drag the window to pan"
    >
      <canvas ref={canvasRef} className={styles.canvas} style={{ width: '100%', height }} aria-hidden />
      {zoomed && (
        <>
          <span className={styles.shade} style={{ left: 0, width: `${left * 100}%` }} />
          <span className={styles.shade} style={{ left: `${right * 100}%`, right: 0 }} />
          <span
            className={styles.window}
            style={{ left: `${left * 100}%`, width: `${(right - left) * 100}%` }}
            data-testid={testIds.minimapWindow}
          />
        </>
      )}
      {selection && (
        <span
          className={styles.selection}
          style={{
            left: `${Math.min(selection.from, selection.to) * 100}%`,
            width: `${Math.abs(selection.to - selection.from) * 100}%`,
          }}
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({
    position: 'relative',
    flex: 'none',
    cursor: 'crosshair',
    userSelect: 'none',
    touchAction: 'none',
    background: theme.colors.background.secondary,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    overflow: 'hidden',
  }),
  canvas: css({
    display: 'block',
    opacity: 0.85,
  }),
  shade: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    background: theme.isDark ? 'rgba(0, 0, 0, 0.45)' : 'rgba(255, 255, 255, 0.6)',
    pointerEvents: 'none',
  }),
  window: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    border: `1px solid ${theme.colors.primary.border}`,
    cursor: 'grab',
    pointerEvents: 'none',
  }),
  selection: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    background: theme.colors.primary.transparent,
    border: `1px solid ${theme.colors.primary.border}`,
    pointerEvents: 'none',
  }),
});
