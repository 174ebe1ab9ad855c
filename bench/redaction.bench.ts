// Micro-benchmark of PII redaction (ingest/src/privacy): the cost per span row and per string
// value, on the realistic spans of the ingest benchmark (bench/ingest-payloads.ts: GenAI /
// OpenInference / OpenLLMetry attributes, prompt and completion content), normalized once
// without redaction, then redacted again and again (fresh copies each round).
// Run from the repository root: npx tsx bench/redaction.bench.ts [--label NAME] [--seconds S]
//   --label  names this run's figures in bench/results/redaction.json (e.g. before / after);
//            figures of other labels already in the file are kept, so two runs compare.
// Profile: node --cpu-prof --import tsx bench/redaction.bench.ts
//
// Figures: ns per span row (redactRow), ns per string value (redactText over every string in
// the rows: names, attribute values, content), the rows redactRow changed, and ns per character
// of sentence-case prose with numbers (the generator's content is lower-case words only, which
// the fast path skips outright; real prompts have capitals and digits, so this is the slow case).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { SpanStream } from '../ingest/src/normalize/index.js';
import { visitTraceRequestProto } from '../ingest/src/otlp/protobuf.js';
import { Redactor } from '../ingest/src/privacy/redactor.js';
import { copyRow, type SpanRow } from '../ingest/src/storage/types.js';
import { makeBatches } from './ingest-payloads';

const args = parseArgs({ options: { label: { type: 'string', default: 'current' }, seconds: { type: 'string', default: '3' } } }).values;
const SECONDS = Number(args.seconds);
const OUT = join(__dirname, 'results', 'redaction.json');

// 8 batches of 512 spans; a few values with PII so the matching paths run too (as in real data).
const rows: SpanRow[] = [];
for (const body of makeBatches(8, 512)) {
  const stream = new SpanStream({ pricer: null }, (r) => rows.push(copyRow(r)));
  visitTraceRequestProto(body, stream);
}
const PII = ['write to jane.doe@example.com', 'card 4111 1111 1111 1111', 'call +1 415 555 0132', 'key sk-proj-abcdefghijklmnopqrstuvwx', 'from 10.1.2.3'];
for (let i = 0; i < rows.length; i += 50) {
  const r = rows[i]!;
  const a = JSON.parse(r.attributes) as Record<string, unknown>;
  a['app.note'] = PII[(i / 50) % PII.length]!;
  r.attributes = JSON.stringify(a);
}

/** Every string an attribute text holds (nested too): what redactText sees per span. */
function strings(v: unknown, out: string[]): void {
  if (typeof v === 'string') {
    out.push(v);
  } else if (Array.isArray(v)) {
    v.forEach((x) => strings(x, out));
  } else if (v !== null && typeof v === 'object') {
    Object.values(v).forEach((x) => strings(x, out));
  }
}
const values: string[] = [];
for (const r of rows) {
  values.push(r.name, r.statusMessage);
  strings(JSON.parse(r.attributes), values);
  strings(JSON.parse(r.resourceAttributes), values);
  if (r.inputContent !== null) values.push(r.inputContent);
  if (r.outputContent !== null) values.push(r.outputContent);
}

// 200 distinct texts of ~1.5 KB (distinct: no help from the redactor's memo of recent texts).
const SENTENCES = [
  'Order %d was shipped on March 3 to Berlin.',
  'The customer asked: can I get a refund for invoice INV-%d?',
  'Summary (v2): latency rose by %d ms after the 14:05 deploy.',
  'Use the tool search_orders with limit 5 and page %d.',
  'Thanks, Dana - see ticket #%d for the details.',
];
const prose = Array.from({ length: 200 }, (_, k) =>
  Array.from({ length: 30 }, (_, j) => SENTENCES[(j + k) % SENTENCES.length]!.replace('%d', String(1000 + ((k * 31 + j * 7) % 9000)))).join(' ')
);
const proseChars = prose.reduce((a, p) => a + p.length, 0) / prose.length;

const redactor = new Redactor({ policy: { mode: 'mask' }, key: 'bench-redaction-key-0123456789' });

/** Runs `fn` over the items for about SECONDS (after a warm-up); CPU ns per item (CPU time: the machine is shared). */
function time<T>(items: readonly T[], fn: (x: T) => void): number {
  const run = () => {
    for (const x of items) fn(x);
  };
  const warm = Date.now() + 500;
  while (Date.now() < warm) run();
  let n = 0;
  const c0 = process.cpuUsage();
  const until = Date.now() + SECONDS * 1000;
  while (Date.now() < until) {
    run();
    n += items.length;
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

// The digest of every redacted row (and prose text): equal digests = identical output across
// labels. Events and links are left out: they carry the batch's timestamps (Date.now()).
let changed = 0;
const digest = createHash('sha256');
for (const p of prose) digest.update(redactor.redactText(p));
for (const r of rows) {
  const c = copyRow(r);
  redactor.redactRow(c);
  for (const v of [c.name, c.statusMessage, c.attributes, c.resourceAttributes, c.inputContent, c.outputContent, c.userId, c.sessionId]) digest.update(`${v}\u0000`);
  if (c.attributes !== r.attributes || c.inputContent !== r.inputContent || c.outputContent !== r.outputContent || c.name !== r.name) changed++;
}
// Fresh copies each round (redactRow works in place); the copy's own cost is measured apart.
const copyNs = time(rows, (r) => void copyRow(r));
const rowNs = time(rows, (r) => redactor.redactRow(copyRow(r))) - copyNs;
const valueNs = time(values, (v) => void redactor.redactText(v));
const proseNs = time(prose, (p) => void redactor.redactText(p)) / proseChars;

const figures = {
  date: new Date().toISOString(),
  nsPerSpan: Math.round(rowNs),
  nsPerValue: Math.round(valueNs * 10) / 10,
  spans: rows.length,
  values: values.length,
  avgValueChars: Math.round(values.reduce((a, v) => a + v.length, 0) / values.length),
  rowsChanged: changed,
  outputDigest: digest.digest('hex').slice(0, 16),
  nsPerProseChar: Math.round(proseNs * 100) / 100,
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
};
console.log(`redaction [${args.label}]: ${figures.nsPerSpan} ns per span (redactRow), ${figures.nsPerValue} ns per string value (redactText), ${figures.nsPerProseChar} ns per char of prose; ${rows.length} spans, ${values.length} values, ${changed} rows changed, output ${figures.outputDigest}; load ${figures.loadAverage1m}`);

const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { runs?: Record<string, unknown> }) : {};
const runs = { ...(prev.runs ?? {}), [args.label]: figures };
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(
  OUT,
  JSON.stringify({ benchmark: 'redaction', node: process.version, cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, policy: 'default (mask, all detectors)', runs }, null, 2) + '\n'
);
