// Summarizes a V8 .cpuprofile of the built service by ingest phase. Each sample is charged to
// the innermost stack frame that maps (through dist/server.js.map) to a file of ingest/src, so
// time in builtins (JSON.stringify, Buffer) and native addons (DuckDB) counts for the code that
// called them. Also lists the top functions by self time.
// CLI: npx tsx bench/ingest-profile.ts <file.cpuprofile> [ingest/dist/server.js]

import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  phases: Record<string, { ms: number; pctOfBusy: number }>;
  top: Array<{ fn: string; where: string; selfMs: number; phase: string }>;
  text: string;
}

const PHASES: Array<[RegExp, string]> = [
  [/ingest\/src\/otlp\/(protobuf|json)\.ts/, 'decode'],
  [/ingest\/src\/(normalize|pricing)\//, 'normalize'],
  [/ingest\/src\/wal\//, 'wal append+fsync'],
  [/ingest\/src\/storage\//, 'duckdb append+commit'],
  [/ingest\/src\/intake\//, 'intake queue/commit'],
  [/ingest\/src\/otlp\/(http|rpcStatus)\.ts|ingest\/src\/auth\//, 'http'],
  [/ingest\/src\/(metrics|http)\//, 'metrics/rest'],
  [/ingest\/src\//, 'other service code'],
];

function phaseOf(source: string): string | null {
  for (const [re, name] of PHASES) if (re.test(source)) return name;
  return null;
}

export function summarizeProfile(profileFile: string, bundle: string): ProfileSummary {
  const prof = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  // The build splits the service into dist/server.js and chunks beside it (server-*.js), each
  // with its own source map.
  const maps = new Map<string, SourceMap>();
  const bundled = /\/dist\/server(-[\w-]+)?\.js$/;
  const mapOf = (url: string): SourceMap => {
    let m = maps.get(url);
    if (!m) {
      m = new SourceMap(JSON.parse(readFileSync(`${url.startsWith('file://') ? fileURLToPath(url) : url}.map`, 'utf8')));
      maps.set(url, m);
    }
    return m;
  };
  const root = resolve(dirname(bundle), '../..');
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const sourceCache = new Map<number, string>();
  const sourceOf = (n: ProfileNode): string => {
    let s = sourceCache.get(n.id);
    if (s === undefined) {
      const cf = n.callFrame;
      s = cf.url;
      if (bundled.test(cf.url)) {
        const e = mapOf(cf.url).findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number };
        // Sources are relative to dist/ ("../src/x.ts", "../../node_modules/..."): name them from the repository root.
        s = e.originalSource
          ? `${relative(root, resolve(dirname(bundle), e.originalSource.replace(/^file:\/\//, '')))}:${(e.originalLine ?? 0) + 1}`
          : cf.url;
      }
      sourceCache.set(n.id, s);
    }
    return s;
  };
  const phaseCache = new Map<number, string>();
  const phaseFor = (id: number): string => {
    const cached = phaseCache.get(id);
    if (cached) return cached;
    const leaf = byId.get(id)!;
    let phase: string | null = null;
    const special = leaf.callFrame.functionName;
    if (special === '(garbage collector)') phase = 'gc';
    else if (special === '(idle)') phase = 'idle';
    else if (special === '(program)') phase = 'program (V8/native, unattributed)';
    let fallback: string | null = null;
    for (let cur: number | undefined = id; phase === null && cur !== undefined; cur = parent.get(cur)) {
      const src = sourceOf(byId.get(cur)!);
      phase = phaseOf(src);
      if (fallback === null) {
        if (/node_modules\/(fastify|find-my-way|light-my-request|avvio|pino|@fastify)|node:_http|node:net|node:internal\/stream|node:stream/.test(src)) fallback = 'http';
        else if (/@duckdb/.test(src)) fallback = 'duckdb append+commit';
        else if (/@grpc/.test(src)) fallback = 'grpc';
      }
    }
    phase ??= fallback ?? 'other (node internals)';
    phaseCache.set(id, phase);
    return phase;
  };

  const phaseUs = new Map<string, number>();
  const selfUs = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    const id = prof.samples[i]!;
    total += dt;
    const p = phaseFor(id);
    phaseUs.set(p, (phaseUs.get(p) ?? 0) + dt);
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const busy = total - (phaseUs.get('idle') ?? 0);
  const phases: ProfileSummary['phases'] = {};
  for (const [p, us] of [...phaseUs].sort((a, b) => b[1] - a[1])) {
    phases[p] = { ms: Math.round(us / 1000), pctOfBusy: p === 'idle' ? 0 : Number(((100 * us) / busy).toFixed(1)) };
  }
  // Self time per function (merged across call sites).
  const byFn = new Map<string, { fn: string; where: string; us: number; phase: string }>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const where = sourceOf(n) || '(native)';
    const key = `${n.callFrame.functionName}@${where}`;
    const e = byFn.get(key) ?? { fn: n.callFrame.functionName || '(anonymous)', where, us: 0, phase: phaseFor(id) };
    e.us += us;
    byFn.set(key, e);
  }
  const top = [...byFn.values()]
    .filter((e) => e.fn !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, 25)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), phase: e.phase }));
  const lines = [
    `profile: ${(total / 1e6).toFixed(1)} s of main-thread samples, ${(busy / 1e6).toFixed(1)} s busy`,
    '  by phase (share of busy time):',
    ...Object.entries(phases).map(([p, v]) => `    ${p.padEnd(34)} ${String(v.ms).padStart(7)} ms ${p === 'idle' ? '' : `${v.pctOfBusy}%`}`),
    '  top self time:',
    ...top.map((t) => `    ${String(t.selfMs).padStart(7)} ms  ${t.fn.slice(0, 40).padEnd(40)} ${t.where.slice(0, 60).padEnd(60)} [${t.phase}]`),
  ];
  return { totalMs: Math.round(total / 1000), phases, top, text: lines.join('\n') };
}

if (require.main === module) {
  const [file, bundle] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/ingest-profile.ts <file.cpuprofile> [ingest/dist/server.js]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, bundle ?? join(__dirname, '..', 'ingest/dist/server.js')).text);
}
