// The demo traffic generator's command line (`npm run demo` at the repository root).
//
//   npx tsx ingest/src/demo/cli.ts [--url http://127.0.0.1:4318] [--api-url http://127.0.0.1:8780]
//       [--api-key K] [--seed 42] [--rate 0.2] [--inference-rate 0.05] [--backfill 6h]
//       [--once] [--drift-at 2026-01-15T09:00:00Z] [--no-setup] [--ready-file PATH]
//
// --backfill sends that much history at once (0, 90m, 6h, 2d); then traffic continues at
// --rate traces per second until Ctrl-C, unless --once. See README.md next to this file.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { runDemo } from './run.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `0`, `90m`, `6h`, `1.5d` -> ms. */
export function parseDuration(s: string): number | null {
  if (s.trim() === '0') {
    return 0;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : null;
}

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null || ms > 30 * 86_400_000) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as 0, 90m, 6h or 2d (at most 30d)' });
    return z.NEVER;
  }
  return ms;
});

export const cliSchema = z.object({
  url: z.string().url().default('http://127.0.0.1:4318'),
  'api-url': z.string().url().optional(),
  'api-key': z.string().optional(),
  seed: z.coerce.number().int().default(42),
  rate: z.coerce.number().positive().max(1000).default(0.2),
  'inference-rate': z.coerce.number().positive().max(1000).default(0.05),
  backfill: duration.default(0),
  once: z.boolean().default(false),
  'drift-at': z
    .string()
    .refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 time')
    .transform((s) => Date.parse(s))
    .optional(),
  setup: z.boolean().default(true),
  'ready-file': z.string().optional(),
});
export type CliOptions = z.output<typeof cliSchema>;

/** Parses `--key value`, `--key=value`, `--flag` and `--no-flag`. */
export function parseArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env
): z.ZodSafeParseResult<CliOptions> {
  const flags = new Set(['once', 'setup']);
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      continue;
    }
    const [k, v] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (k.startsWith('no-') && flags.has(k.slice(3))) {
      raw[k.slice(3)] = false;
    } else if (flags.has(k)) {
      raw[k] = v === undefined ? true : v !== 'false';
    } else {
      raw[k] = v ?? argv[++i] ?? '';
    }
  }
  if (raw['api-key'] === undefined && env.PYFLARE_API_KEY) {
    raw['api-key'] = env.PYFLARE_API_KEY;
  }
  return cliSchema.safeParse(raw);
}

/** The REST URL next to an OTLP URL: same host, the service's default REST port. */
export function apiUrlFor(otlpUrl: string): string {
  const u = new URL(otlpUrl);
  u.port = '8780';
  return u.origin;
}

async function main(argv: string[]): Promise<void> {
  const parsed = parseArgs(argv);
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
    process.exit(2);
  }
  const o = parsed.data;
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => ac.abort());
  }
  const log = (m: string) => console.log(`[demo] ${m}`);
  const stats = await runDemo({
    otlpUrl: o.url,
    apiUrl: o['api-url'] ?? apiUrlFor(o.url),
    apiKey: o['api-key'],
    seed: o.seed,
    rate: o.rate,
    inferenceRate: o['inference-rate'],
    backfillMs: o.backfill,
    continuous: !o.once,
    driftAtMs: o['drift-at'],
    setup: o.setup,
    signal: ac.signal,
    log,
    onBackfilled: () => {
      if (o['ready-file']) {
        fs.writeFileSync(o['ready-file'], `${new Date().toISOString()}\n`);
      }
      if (!o.once) {
        log(`sending ${o.rate} traces/s and ${o['inference-rate']} records/s per ML model; Ctrl-C stops`);
      }
    },
  });
  log(`done: ${stats.traces} traces, ${stats.spans} spans, ${stats.inferences} inference records`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e: Error) => {
    if (e.name === 'AbortError') {
      process.exit(0);
    }
    console.error(`[demo] ${e.message}`);
    process.exit(1);
  });
}
