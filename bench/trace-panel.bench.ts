// Trace panel rendering in headless Chromium (Debian's chromium via playwright-core), with the
// production build of React and the real @grafana/ui, on synthetic frames in the service's
// shapes (src/panels/trace/testing/synthetic.ts):
//   - a list of 1,000 traces (target <= 200 ms to render and lay out),
//   - a waterfall of 1,000 spans (target <= 200 ms),
//   - a 10,000-span trace: mount, scripted scrolls and collapse/expand clicks, timed per frame
//     (target: under 50 ms per frame).
// Wall-clock times come from performance.now() / requestAnimationFrame in the page. The
// renderer main thread's CPU time for the same intervals comes from a Chromium trace (thread
// time of its top-level tasks between user-timing marks): on a shared, loaded machine the wall
// clock also counts time the page waited for a CPU, the CPU time does not.
// Run: npx tsx bench/trace-panel.bench.ts  — writes bench/results/trace-panel.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type CDPSession } from 'playwright-core';

import { CHROMIUM } from '../tests/browser/lib/browser';
import { startHarness } from '../tests/browser/lib/harness';

interface Stats {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}
interface LongFrame {
  ms: number;
  scriptMs: number;
  styleLayoutMs: number;
  otherMs: number;
}
interface ScrollResult {
  frameMs: Stats;
  slowFrames: Array<{ pass: number; frame: number; ms: number }>;
  longTasksMs: number[];
  longFrames: LongFrame[];
}
interface MountResult {
  renderToLayoutMs: Stats;
  renderToNextFrameMs: Stats;
}
interface PageResults {
  list1000: MountResult;
  list1000Scroll: ScrollResult;
  waterfall1000: MountResult;
  waterfall10000: MountResult;
  waterfall10000Scroll: ScrollResult;
  waterfall10000Toggle: {
    collapseRootMs: Stats;
    expandRootMs: Stats;
    collapseAllMs: Stats;
    expandAllMs: Stats;
    longTasksMs: number[];
    longFrames: LongFrame[];
  };
  waterfall10000ScrollFast: ScrollResult;
  waterfall10000Zoom: { zoomInMs: Stats };
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
}

const OUT = path.join(import.meta.dirname, 'results', 'trace-panel.json');
const TARGETS = { list1000Ms: 200, waterfall1000Ms: 200, frameMs: 50 };

async function main() {
  const harness = await startHarness({ entries: { bench: 'bench/trace-panel.bench.page.tsx' } });
  const browser = await launchBenchBrowser();
  try {
    const { page } = browser;
    await page.goto(`${harness.url}bench.html`);
    await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
    const cdp = await page.context().newCDPSession(page);
    const load0 = loadavg()[0]!;

    const trace = await traced(cdp, () =>
      page.evaluate(() => (window as unknown as { pyflareBench: { run(): Promise<unknown> } }).pyflareBench.run())
    );
    const results = trace.result as PageResults;
    if (browser.errors.length) {
      throw new Error(`page errors:\n${browser.errors.join('\n')}`);
    }
    const cpu = cpuTimes(trace.events);

    const toggle = results.waterfall10000Toggle;
    const worstToggleWall = Math.max(
      toggle.collapseRootMs.max,
      toggle.expandRootMs.max,
      toggle.collapseAllMs.max,
      toggle.expandAllMs.max
    );
    const worstToggleCpu = Math.max(
      ...['collapseRoot', 'expandRoot', 'collapseAll', 'expandAll'].map((k) => cpu.clicks[k]?.max ?? Infinity)
    );
    const scrollCpu = [cpu.frames.waterfall10000, cpu.frames.waterfall10000Fast];
    const verdicts = {
      list1000: results.list1000.renderToNextFrameMs.median <= TARGETS.list1000Ms,
      waterfall1000: results.waterfall1000.renderToNextFrameMs.median <= TARGETS.waterfall1000Ms,
      // Every frame of the scripted scroll: main-thread work under 50 ms. (The 40-rows-a-frame
      // fling is reported, not judged: it replaces every row on screen every frame.)
      scroll10000: scrollCpu[0] !== undefined && scrollCpu[0].max < TARGETS.frameMs,
      expand10000: worstToggleCpu < TARGETS.frameMs,
    };

    const rows: Array<[string, string, string, string]> = [
      [
        'list of 1,000 traces: render → next frame',
        fmt(results.list1000.renderToNextFrameMs),
        fmt(cpu.mounts.list1000),
        '<= 200 ms',
      ],
      ['  render → layout', fmt(results.list1000.renderToLayoutMs), '', ''],
      ['  scroll 10 rows/frame, per frame', fmt(results.list1000Scroll.frameMs), fmt(cpu.frames.list1000), ''],
      [
        'waterfall of 1,000 spans: render → next frame',
        fmt(results.waterfall1000.renderToNextFrameMs),
        fmt(cpu.mounts.waterfall1000),
        '<= 200 ms',
      ],
      ['  render → layout', fmt(results.waterfall1000.renderToLayoutMs), '', ''],
      [
        'waterfall of 10,000 spans: render → next frame',
        fmt(results.waterfall10000.renderToNextFrameMs),
        fmt(cpu.mounts.waterfall10000),
        '',
      ],
      [
        '  scroll 8 rows/frame (3×120 frames), per frame',
        fmt(results.waterfall10000Scroll.frameMs),
        fmt(scrollCpu[0]),
        '< 50 ms',
      ],
      [
        '  fling 40 rows/frame (3×60 frames), per frame',
        fmt(results.waterfall10000ScrollFast.frameMs),
        fmt(scrollCpu[1]),
        '(info)',
      ],
      [
        '  collapse root (9,999 spans) → next frame',
        fmt(toggle.collapseRootMs),
        fmt(cpu.clicks.collapseRoot),
        '< 50 ms',
      ],
      ['  expand root → next frame', fmt(toggle.expandRootMs), fmt(cpu.clicks.expandRoot), '< 50 ms'],
      ['  collapse all → next frame', fmt(toggle.collapseAllMs), fmt(cpu.clicks.collapseAll), '< 50 ms'],
      ['  expand all → next frame', fmt(toggle.expandAllMs), fmt(cpu.clicks.expandAll), '< 50 ms'],
      ['  zoom in → next frame', fmt(results.waterfall10000Zoom.zoomInMs), fmt(cpu.clicks.zoomIn), ''],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log('\nPyFlare trace panel — headless Chromium, production React (median / p95 / max)\n');
    console.log(`${''.padEnd(w)}  ${'wall clock'.padEnd(24)} ${'main-thread CPU'.padEnd(24)} target`);
    for (const [name, wall, cpuText, target] of rows) {
      console.log(`${name.padEnd(w)}  ${wall.padEnd(24)} ${cpuText.padEnd(24)} ${target}`);
    }
    const load1 = loadavg()[0]!;
    console.log(
      `\nload average (1 min) before / after: ${load0.toFixed(2)} / ${load1.toFixed(2)} on ${cpus().length} CPUs`
    );
    console.log(`worst toggle, wall clock: ${worstToggleWall} ms`);
    console.log(`verdicts (scroll and toggles judged on main-thread CPU per frame): ${JSON.stringify(verdicts)}`);

    const userAgent = await page.evaluate(() => navigator.userAgent);
    mkdirSync(path.dirname(OUT), { recursive: true });
    writeFileSync(
      OUT,
      `${JSON.stringify(
        {
          benchmark: 'trace-panel',
          date: new Date().toISOString(),
          machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? '',
            loadavgBeforeAfter: [load0, load1],
            chromium: /(?:Headless)?Chrome\/[\d.]+/.exec(userAgent)?.[0] ?? userAgent,
          },
          method: [
            'Production React and @grafana/ui bundled with esbuild (minified), dark theme, panel 1200x700.',
            'Frames are decoded and field-processed before timing (Grafana does that before a panel renders); timing covers the panel reading its frames, React render and commit, and layout.',
            'Wall clock: renderToLayoutMs = render() to a forced layout; renderToNextFrameMs = until the next requestAnimationFrame callback (includes the wait for vsync). Scroll frame times = intervals between requestAnimationFrame callbacks while a script scrolls every frame. Toggles = click to the next requestAnimationFrame callback, after a forced layout.',
            'CPU: thread time of the renderer main thread top-level tasks between user-timing marks at the same points (Chromium trace, category toplevel).',
            'Chromium runs with --expose-gc; each measurement starts after a forced GC. One warm-up mount precedes each mount series.',
          ],
          targets: TARGETS,
          verdicts,
          wallClock: results,
          mainThreadCpu: cpu,
        },
        null,
        2
      )}\n`
    );
    console.log(`\nwrote ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await browser.close();
    await harness.close();
  }
}

/** Runs `fn` under a Chromium trace of top-level tasks (with thread time) and user-timing marks. */
async function traced<T>(cdp: CDPSession, fn: () => Promise<T>): Promise<{ result: T; events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['toplevel', 'blink.user_timing'], recordMode: 'recordContinuously' },
    transferMode: 'ReportEvents',
  });
  const result = await fn();
  await cdp.send('Tracing.end');
  await complete;
  return { result, events };
}

/** Main-thread CPU ms per scroll frame, per click and per mount, from the marks the page set. */
function cpuTimes(events: TraceEvent[]) {
  const marks = events.filter((e) => e.cat === 'blink.user_timing' && e.name.startsWith('pf-'));
  if (marks.length === 0) {
    throw new Error('no user-timing marks in the trace');
  }
  const { pid, tid } = marks[0]!;
  // Top-level tasks of the renderer main thread (nested RunTask events are inside these).
  const tasks = events
    .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.cat === 'toplevel' && e.tdur !== undefined)
    .sort((a, b) => a.ts - b.ts);
  const top: Array<{ ts: number; end: number; cpuUs: number }> = [];
  for (const t of tasks) {
    const last = top[top.length - 1];
    if (last && t.ts < last.end) {
      continue;
    }
    top.push({ ts: t.ts, end: t.ts + (t.dur ?? 0), cpuUs: t.tdur ?? 0 });
  }
  // A mark usually falls inside a task (a click's work runs in the task that set the mark):
  // such a task counts with the share of its wall time inside [a, b).
  const cpuBetween = (a: number, b: number) => {
    let us = 0;
    for (const t of top) {
      if (t.end <= a || t.ts >= b) {
        continue;
      }
      const wall = t.end - t.ts;
      const overlap = Math.min(t.end, b) - Math.max(t.ts, a);
      us += wall > 0 ? t.cpuUs * (overlap / wall) : t.cpuUs;
    }
    return us / 1000;
  };

  const byName = new Map<string, number[]>();
  for (const m of marks.sort((a, b) => a.ts - b.ts)) {
    byName.set(m.name, [...(byName.get(m.name) ?? []), m.ts]);
  }
  const frames: Record<string, number[]> = {};
  const clicks: Record<string, number[]> = {};
  const mounts: Record<string, number[]> = {};
  for (const [name, ts] of byName) {
    const frame = /^pf-frame:([^:]+):\d+$/.exec(name);
    if (frame) {
      for (let i = 0; i + 1 < ts.length; i++) {
        (frames[frame[1]!] ??= []).push(cpuBetween(ts[i]!, ts[i + 1]!));
      }
      continue;
    }
    const span = /^pf-(click|mount):([^:]+):\d+:start$/.exec(name);
    if (span) {
      const end = byName.get(name.replace(/:start$/, ':end'))?.[0];
      if (end !== undefined) {
        ((span[1] === 'click' ? clicks : mounts)[span[2]!] ??= []).push(cpuBetween(ts[0]!, end));
      }
    }
  }
  const summarise = (o: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, stats(v)])) as Record<string, Stats | undefined>;
  return { frames: summarise(frames), clicks: summarise(clicks), mounts: summarise(mounts) };
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: s.length, min: r(s[0] ?? 0), median: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1] ?? 0) };
}

/** Chromium as the browser tests launch it, plus --expose-gc so each measurement starts clean. */
async function launchBenchBrowser() {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'pyflare-bench-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--js-flags=--expose-gc',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      errors.push(msg.text());
    }
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return {
    page,
    errors,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

function fmt(s: Stats | undefined): string {
  return s ? `${s.median} / ${s.p95} / ${s.max} ms` : '–';
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
