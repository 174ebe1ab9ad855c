// The user's price override file (PYFLARE_PRICES_FILE): YAML or JSON, a list of entries
//   - match: gpt-4o            # exact model name (case-insensitive) or /regex/
//     provider: azure          # optional: only spans from this provider
//     input: 2.5               # $ per million tokens (number or decimal string)
//     output: 10
//     cacheRead: 1.25          # optional
//     cacheWrite: 3.75         # optional
// or an object `{ prices: [...] }` holding that list. Errors name the entry index and field, so
// a typo stops the service with a message the user can act on.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { DECIMAL_RE, numberToDecimal } from './decimal.js';
import { compileMatchRegex } from './match.js';
import type { PriceOverride } from './types.js';

export class PriceFileError extends Error {
  readonly file: string;
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`invalid price override file ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'PriceFileError';
    this.file = file;
    this.problems = problems;
  }
}

const RATE_HINT = 'must be a non-negative number of dollars per million tokens, e.g. 2.5 or "0.075"';

/** Zod error callback: "is required" for a missing field, else the hint. */
const required =
  (hint: string) =>
  (iss: { input?: unknown }): string =>
    iss.input === undefined ? 'is required' : hint;

export const rateSchema = z.union([z.string(), z.number()], { error: required(RATE_HINT) }).transform((v, ctx) => {
  const s = typeof v === 'number' ? numberToDecimal(v) : v.trim();
  if (s === null || !DECIMAL_RE.test(s)) {
    ctx.addIssue({ code: 'custom', message: RATE_HINT });
    return z.NEVER;
  }
  return s;
});

const matchSchema = z
  .string({ error: required('must be a model name or a /regex/') })
  .trim()
  .min(1, 'must not be empty')
  .superRefine((m, ctx) => {
    try {
      compileMatchRegex(m);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regex: ${(err as Error).message}` });
    }
  });

export const overrideEntrySchema = z.strictObject({
  match: matchSchema,
  provider: z.string({ error: 'must be a provider name such as openai' }).trim().min(1, 'must not be empty').optional(),
  input: rateSchema,
  output: rateSchema,
  cacheRead: rateSchema.optional(),
  cacheWrite: rateSchema.optional(),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `unknown field ${keys} (allowed: match, provider, input, output, cacheRead, cacheWrite)`;
  }
  const field = issue.path.map(String).join('.');
  return field === '' ? issue.message : `field "${field}": ${issue.message}`;
}

/** Validates already-parsed file content; throws PriceFileError listing every problem. */
export function validateOverrides(data: unknown, file: string): PriceOverride[] {
  if (data === null || data === undefined) {
    return []; // an empty file overrides nothing
  }
  let list: unknown;
  if (Array.isArray(data)) {
    list = data;
  } else if (typeof data === 'object' && 'prices' in data && Object.keys(data).length === 1) {
    list = (data as { prices: unknown }).prices;
  } else {
    throw new PriceFileError(file, ['top level must be a list of price entries, or an object { prices: [...] }']);
  }
  if (!Array.isArray(list)) {
    throw new PriceFileError(file, ['"prices" must be a list of price entries']);
  }
  const problems: string[] = [];
  const out: PriceOverride[] = [];
  list.forEach((raw: unknown, i) => {
    const res = overrideEntrySchema.safeParse(raw);
    if (res.success) {
      const e = res.data;
      out.push({
        match: e.match,
        ...(e.provider !== undefined ? { provider: e.provider } : {}),
        input: e.input,
        output: e.output,
        ...(e.cacheRead !== undefined ? { cacheRead: e.cacheRead } : {}),
        ...(e.cacheWrite !== undefined ? { cacheWrite: e.cacheWrite } : {}),
      });
      return;
    }
    const m = typeof raw === 'object' && raw !== null && 'match' in raw ? (raw as { match: unknown }).match : undefined;
    const label = typeof m === 'string' ? `entry ${i} (match ${JSON.stringify(m)})` : `entry ${i}`;
    for (const issue of res.error.issues) {
      problems.push(`${label}: ${describeIssue(issue)}`);
    }
  });
  if (problems.length > 0) {
    throw new PriceFileError(file, problems);
  }
  return out;
}

/** Parses file text as JSON (by `.json` extension, or content starting with `{`/`[`) or else YAML. */
export function parseOverrideText(text: string, file: string): PriceOverride[] {
  const ext = path.extname(file).toLowerCase();
  const trimmed = text.trimStart();
  const asJson = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^[[{]/.test(trimmed));
  let data: unknown;
  if (trimmed === '') {
    return [];
  }
  try {
    data = asJson ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PriceFileError(file, [`not valid ${asJson ? 'JSON' : 'YAML'}: ${(err as Error).message}`]);
  }
  return validateOverrides(data, file);
}

export async function loadOverrideFile(file: string): Promise<PriceOverride[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PriceFileError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseOverrideText(text, file);
}
