// Browser side of bench/trace-panel.bench.ts: renders the real trace panel (production React,
// real @grafana/ui) on synthetic frames in the service's shape and times it with
// performance.now() and requestAnimationFrame. Exposes window.pyflareBench.run().
import React from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import {
  applyFieldOverrides,
  createTheme,
  dataFrameFromJSON,
  patchArrayVectorProrotypeMethods,
  type DataFrame,
  type DataFrameJSON,
} from '@grafana/data';
import { GlobalStyles, ThemeContext } from '@grafana/ui';

import { TracePanel } from '../src/panels/trace/components/TracePanel';
import { syntheticTraceJSON, syntheticTraceListJSON } from '../src/panels/trace/testing/synthetic';
import { defaultTraceOptions, type TracePanelOptions } from '../src/panels/trace/types';
import { panelProps } from '../src/shared/panelProps';

patchArrayVectorProrotypeMethods();

const WIDTH = 1200;
const HEIGHT = 700;
const theme = createTheme({ colors: { mode: 'dark' } });

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame((t) => resolve(t)));
/** Chromium runs with --expose-gc: each measurement starts without the previous one's garbage. */
const gc = () => (window as unknown as { gc?: () => void }).gc?.();
const settle = async () => {
  gc();
  await nextFrame();
  await nextFrame();
  await new Promise((r) => setTimeout(r, 30));
};

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: s.length, min: r(s[0] ?? 0), median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1] ?? 0) };
}

let root: Root | undefined;
const host = document.getElementById('root')!;

function prepare(json: DataFrameJSON): DataFrame[] {
  // What Grafana does before a panel sees the data (decode, field overrides, data links).
  return applyFieldOverrides({
    data: [dataFrameFromJSON(json)],
    fieldConfig: { defaults: {}, overrides: [] },
    replaceVariables: (s) => s,
    theme,
    timeZone: 'utc',
  });
}

function element(series: DataFrame[], options: Partial<TracePanelOptions> = {}) {
  const props = panelProps({ ...defaultTraceOptions, ...options }, series, { width: WIDTH, height: HEIGHT });
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div style={{ width: WIDTH, height: HEIGHT, display: 'flex', flexDirection: 'column' }}>
        <TracePanel {...props} />
      </div>
    </ThemeContext.Provider>
  );
}

function unmount() {
  root?.unmount();
  root = undefined;
}

/**
 * One cold mount of the panel: from render() until layout is done (forced synchronously),
 * and until the next animation frame starts (the frame that paints it).
 */
async function timeMount(series: DataFrame[], options?: Partial<TracePanelOptions>, label?: string) {
  unmount();
  await settle();
  if (label) {
    performance.mark(`pf-mount:${label}:start`);
  }
  const t0 = performance.now();
  root = createRoot(host);
  flushSync(() => root!.render(element(series, options)));
  host.getBoundingClientRect();
  void document.body.offsetHeight;
  const layoutMs = performance.now() - t0;
  await nextFrame();
  const frameMs = performance.now() - t0;
  if (label) {
    performance.mark(`pf-mount:${label}:end`);
  }
  return { layoutMs, frameMs };
}

async function mountRuns(series: DataFrame[], runs: number, label: string, options?: Partial<TracePanelOptions>) {
  // One warm-up mount: the first includes JIT and style insertion for every component.
  await timeMount(series, options);
  const layout: number[] = [];
  const frame: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await timeMount(series, options, `${label}:${i}`);
    layout.push(r.layoutMs);
    frame.push(r.frameMs);
  }
  return { renderToLayoutMs: stats(layout), renderToNextFrameMs: stats(frame) };
}

/** Measured sections: long tasks and long frames outside them (a forced GC in settle()) are ignored. */
const measured: Array<[number, number]> = [];
const inMeasured = (t: number) => measured.some(([a, b]) => t >= a && t <= b);

interface LongFrame {
  /** Frame duration, ms. */
  ms: number;
  /** Time in scripts (event handlers, React) during the frame. */
  scriptMs: number;
  /** Style recalculation and layout of the frame. */
  styleLayoutMs: number;
  /** The rest: rendering waited for the main thread (other processes on the machine), paint. */
  otherMs: number;
}

/**
 * Long tasks and long animation frames (> 50 ms, Chromium's Long Animation Frames API) seen
 * while `fn` runs, with how much of each frame was script and layout work.
 */
async function withLongTasks<T>(
  fn: () => Promise<T>
): Promise<{ result: T; longTasks: number[]; longFrames: LongFrame[] }> {
  const longTasks: PerformanceEntry[] = [];
  const longFrames: PerformanceEntry[] = [];
  const observers: PerformanceObserver[] = [];
  for (const [type, into] of [
    ['longtask', longTasks],
    ['long-animation-frame', longFrames],
  ] as const) {
    try {
      const o = new PerformanceObserver((list) => list.getEntries().forEach((e) => into.push(e)));
      o.observe({ type, buffered: false });
      observers.push(o);
    } catch {
      // Not supported by this browser.
    }
  }
  const result = await fn();
  await nextFrame();
  await new Promise((r) => setTimeout(r, 50));
  observers.forEach((o) => o.disconnect());
  const r = (v: number) => Math.round(v);
  return {
    result,
    longTasks: longTasks.filter((e) => inMeasured(e.startTime)).map((e) => r(e.duration)),
    longFrames: longFrames
      .filter((e) => inMeasured(e.startTime))
      .map((e) => {
        const f = e as PerformanceEntry & {
          styleAndLayoutStart: number;
          scripts: Array<{ duration: number }>;
        };
        const scriptMs = f.scripts.reduce((n, x) => n + x.duration, 0);
        const styleLayoutMs = f.styleAndLayoutStart > 0 ? f.startTime + f.duration - f.styleAndLayoutStart : 0;
        return {
          ms: r(f.duration),
          scriptMs: r(scriptMs),
          styleLayoutMs: r(styleLayoutMs),
          otherMs: r(f.duration - scriptMs - styleLayoutMs),
        };
      }),
  };
}

/**
 * Scrolls `el` by `step` px every frame for `frames` frames; returns the frame-to-frame times.
 * Each frame start is also a user-timing mark `pf-frame:<label>`: the runner reads the main
 * thread's CPU time per frame from a Chromium trace.
 */
async function scriptedScroll(el: HTMLElement, step: number, frames: number, label: string) {
  const deltas: number[] = [];
  let last = await nextFrame();
  performance.mark(`pf-frame:${label}`);
  const section: [number, number] = [performance.now(), Infinity];
  measured.push(section);
  for (let i = 0; i < frames; i++) {
    el.scrollTop += step;
    const t = await nextFrame();
    performance.mark(`pf-frame:${label}`);
    deltas.push(t - last);
    last = t;
  }
  section[1] = performance.now();
  return deltas;
}

/** Several scroll passes from the top, each after a GC; frame times of all passes together. */
async function scrollPasses(el: HTMLElement, step: number, frames: number, passes: number, label: string) {
  const all: number[] = [];
  const slow: Array<{ pass: number; frame: number; ms: number }> = [];
  const { longTasks, longFrames } = await withLongTasks(async () => {
    for (let p = 0; p < passes; p++) {
      el.scrollTop = 0;
      await settle();
      const deltas = await scriptedScroll(el, step, frames, `${label}:${p}`);
      deltas.forEach((ms, frame) => {
        all.push(ms);
        if (ms > 34) {
          slow.push({ pass: p, frame, ms: Math.round(ms) });
        }
      });
    }
  });
  return { frameMs: stats(all), slowFrames: slow, longTasksMs: longTasks, longFrames };
}

/**
 * A click: React's render and commit (flushed in a microtask after a discrete event), a forced
 * layout, then the wait until the next frame starts.
 */
async function timeClick(el: HTMLElement, label: string) {
  performance.mark(`pf-click:${label}:start`);
  const t0 = performance.now();
  const section: [number, number] = [t0, Infinity];
  measured.push(section);
  el.click();
  await Promise.resolve();
  await Promise.resolve();
  host.getBoundingClientRect();
  void document.body.offsetHeight;
  await nextFrame();
  section[1] = performance.now();
  performance.mark(`pf-click:${label}:end`);
  return section[1] - t0;
}

function byTestId(id: string): HTMLElement[] {
  return [...host.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

function button(label: string): HTMLElement {
  const b = host.querySelector<HTMLElement>(`button[aria-label="${label}"]`);
  if (!b) {
    throw new Error(`no button "${label}"`);
  }
  return b;
}

async function run() {
  const out: Record<string, unknown> = {};

  // 1,000 traces in the list.
  const list = prepare(syntheticTraceListJSON(1000));
  out.list1000 = await mountRuns(list, 10, 'list1000', { maxTraces: 1000 });
  // Scrolling the list, 10 rows a frame.
  await timeMount(list, { maxTraces: 1000 });
  await settle();
  out.list1000Scroll = await scrollPasses(byTestId('pyflare-trace-list')[0]!, 400, 90, 3, 'list1000');

  // A waterfall of 1,000 spans (a lone trace query shows the trace straight away).
  out.waterfall1000 = await mountRuns(prepare(syntheticTraceJSON(1000, 5)), 10, 'waterfall1000');

  // 10,000 spans: mount, scroll, collapse/expand.
  const big = prepare(syntheticTraceJSON(10_000, 3));
  out.waterfall10000 = await mountRuns(big, 5, 'waterfall10000');
  await timeMount(big);
  await settle();
  const waterfall = byTestId('pyflare-trace-waterfall')[0]!;
  out.waterfall10000Scroll = await scrollPasses(waterfall, 26 * 8, 120, 3, 'waterfall10000');

  waterfall.scrollTop = 0;
  await settle();
  const rootToggle = () =>
    byTestId('pyflare-span-row')[0]!.querySelector<HTMLElement>('[data-testid="pyflare-span-toggle"]')!;
  const expand: number[] = [];
  const collapse: number[] = [];
  const expandAll: number[] = [];
  const collapseAll: number[] = [];
  const toggles = await withLongTasks(async () => {
    for (let i = 0; i < 5; i++) {
      collapse.push(await timeClick(rootToggle(), `collapseRoot:${i}`));
      await settle();
      expand.push(await timeClick(rootToggle(), `expandRoot:${i}`));
      await settle();
      collapseAll.push(await timeClick(button('Collapse all'), `collapseAll:${i}`));
      await settle();
      expandAll.push(await timeClick(button('Expand all'), `expandAll:${i}`));
      await settle();
    }
  });
  out.waterfall10000Toggle = {
    collapseRootMs: stats(collapse),
    expandRootMs: stats(expand),
    collapseAllMs: stats(collapseAll),
    expandAllMs: stats(expandAll),
    longTasksMs: toggles.longTasks,
    longFrames: toggles.longFrames,
  };

  // Fast scrolling: 40 rows a frame (a fling through the trace).
  out.waterfall10000ScrollFast = await scrollPasses(waterfall, 26 * 40, 60, 3, 'waterfall10000Fast');

  // Zoom: a toolbar click re-renders every visible bar.
  const zoom: number[] = [];
  for (let i = 0; i < 5; i++) {
    zoom.push(await timeClick(button('Zoom in (or drag across the time ruler)'), `zoomIn:${i}`));
    await settle();
  }
  out.waterfall10000Zoom = { zoomInMs: stats(zoom) };

  unmount();
  return out;
}

declare global {
  interface Window {
    pyflareBench: { run: typeof run };
  }
}

window.pyflareBench = { run };
document.body.style.background = theme.colors.background.canvas;
document.body.dataset.harness = 'ready';
