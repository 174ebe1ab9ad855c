// The price book: turns (provider, model, token counts) into an exact cost in integer
// micro-dollars. Bundled prices (prices.ts) plus optional user overrides, which always win.
//
// Token semantics follow the OTel GenAI conventions: input INCLUDES cache reads and writes,
// output INCLUDES reasoning. So the uncached prompt is input - cacheRead - cacheWrite (never
// below 0), each cached part is billed once at its own rate, and reasoning is billed as part
// of output, never on top of it.
import { z } from 'zod';

import { DECIMAL_RE, parseRate, roundScaledToMicros } from './decimal.js';
import {
  boundaryPrefixes,
  canonicalProvider,
  compileMatchRegex,
  modelCandidates,
  preferredTableProviders,
} from './match.js';
import { loadOverrideFile } from './overrides.js';
import { BUNDLED_PRICES, PRICE_TABLE_AS_OF } from './prices.js';
import type { BundledPrice, PriceEntry, PriceInput, PriceOverride, PriceResult, PriceTier } from './types.js';

export type {
  BundledPrice,
  PriceEntry,
  PriceInput,
  PriceOrigin,
  PriceOverride,
  PriceRates,
  PriceResult,
  PriceTier,
} from './types.js';
export { PriceFileError, loadOverrideFile, parseOverrideText } from './overrides.js';
export { canonicalProvider, modelCandidates } from './match.js';
export { BUNDLED_PRICES, PRICE_SOURCES, PRICE_TABLE_AS_OF } from './prices.js';

const rate = z.string().regex(DECIMAL_RE, 'must be a non-negative decimal string such as "2.5"');
const ratesShape = { input: rate, output: rate, cacheRead: rate.optional(), cacheWrite: rate.optional() };

const bundledPriceSchema = z.strictObject({
  key: z.string().min(1),
  provider: z.string().min(1),
  match: z
    .array(
      z
        .string()
        .min(1)
        .regex(/^[^A-Z\s]+$/, 'prefixes are lower case without spaces')
    )
    .min(1),
  ...ratesShape,
  tiers: z.array(z.strictObject({ aboveInputTokens: z.number().int().positive(), ...ratesShape })).optional(),
  source: z.string().min(1),
  note: z.string().optional(),
});

/** Entries the resolver keeps in memory at most; beyond it the cache starts over (bounds memory on odd names). */
const RESOLVE_CACHE_MAX = 20_000;
/**
 * Longer model names are not priced (the span is counted as unpriced). Real names are under 100
 * characters; matching tries every prefix at a `-`, `:`, `@` or `_`, which is quadratic in the
 * length: a 32 KB name cost 160 ms per span, and the cache would hold the names too.
 */
export const MAX_PRICED_MODEL_NAME = 256;

interface Rates {
  input: bigint;
  output: bigint;
  cacheRead: bigint;
  cacheWrite: bigint;
}

interface Compiled {
  entry: PriceEntry;
  order: number;
  base: Rates;
  /** Highest threshold first. */
  tiers: Array<{ above: number; rates: Rates }>;
}

interface CompiledOverride extends Compiled {
  exact: string | null;
  regex: RegExp | null;
  provider: string | null;
}

function compileRates(r: { input: string; output: string; cacheRead?: string; cacheWrite?: string }): Rates {
  const input = parseRate(r.input);
  return {
    input,
    output: parseRate(r.output),
    cacheRead: r.cacheRead !== undefined ? parseRate(r.cacheRead) : input,
    cacheWrite: r.cacheWrite !== undefined ? parseRate(r.cacheWrite) : input,
  };
}

function compile(entry: PriceEntry, order: number): Compiled {
  const tiers = (entry.tiers ?? [])
    .map((t: PriceTier) => ({ above: t.aboveInputTokens, rates: compileRates(t) }))
    .sort((a, b) => b.above - a.above);
  return { entry, order, base: compileRates(entry), tiers };
}

/** Token counts from attributes may be missing, negative or fractional: clamp to whole, non-negative. */
function tokens(n: number): bigint {
  return Number.isFinite(n) && n > 0 ? BigInt(Math.round(n)) : 0n;
}

export class PriceBook {
  /** Date of the bundled table. */
  readonly asOf: string;
  private readonly all: readonly PriceEntry[];
  private readonly overrides: readonly CompiledOverride[];
  /** Bundled prefix -> entries using it (several only when providers share a name). */
  private readonly byPrefix = new Map<string, Compiled[]>();
  private readonly cache = new Map<string, Compiled | null>();

  private constructor(bundled: readonly PriceEntry[], overrides: readonly PriceOverride[], asOf: string) {
    this.asOf = asOf;
    const overrideEntries: PriceEntry[] = overrides.map((o) => ({
      key: `override:${o.match}`,
      provider: o.provider !== undefined ? canonicalProvider(o.provider) : null,
      match: [o.match],
      origin: 'override',
      input: o.input,
      output: o.output,
      ...(o.cacheRead !== undefined ? { cacheRead: o.cacheRead } : {}),
      ...(o.cacheWrite !== undefined ? { cacheWrite: o.cacheWrite } : {}),
    }));
    this.overrides = overrideEntries.map((entry, i) => {
      const m = entry.match[0] ?? '';
      const regex = compileMatchRegex(m);
      return {
        ...compile(entry, i),
        exact: regex ? null : m.trim().toLowerCase(),
        regex,
        provider: entry.provider,
      };
    });
    bundled.forEach((entry, i) => {
      const c = compile(entry, i);
      for (const prefix of entry.match) {
        const list = this.byPrefix.get(prefix);
        if (list) {
          list.push(c);
        } else {
          this.byPrefix.set(prefix, [c]);
        }
      }
    });
    this.all = [...overrideEntries, ...bundled];
  }

  /** The bundled table plus the override file, if any (a bad file throws PriceFileError). */
  static async load(opts: { overrideFile?: string } = {}): Promise<PriceBook> {
    const overrides = opts.overrideFile ? await loadOverrideFile(opts.overrideFile) : [];
    return PriceBook.fromEntries(BUNDLED_PRICES, overrides);
  }

  /** Builds a book from table rows (validated) and already-validated overrides. */
  static fromEntries(
    bundled: readonly BundledPrice[],
    overrides: readonly PriceOverride[] = [],
    asOf: string = PRICE_TABLE_AS_OF
  ): PriceBook {
    const entries: PriceEntry[] = bundled.map((row, i) => {
      const res = bundledPriceSchema.safeParse(row);
      if (!res.success) {
        const issue = res.error.issues[0];
        throw new Error(`price entry ${i} (${row.key}): ${issue?.path.join('.')}: ${issue?.message}`);
      }
      return { ...row, provider: canonicalProvider(row.provider), origin: 'bundled' };
    });
    return new PriceBook(entries, overrides, asOf);
  }

  /** Overrides first (file order), then the bundled table. */
  entries(): readonly PriceEntry[] {
    return this.all;
  }

  /** The entry that prices this model, or null. */
  resolve(provider: string | null, model: string | null): PriceEntry | null {
    return this.resolveCompiled(provider, model)?.entry ?? null;
  }

  price(input: PriceInput): PriceResult {
    const c = this.resolveCompiled(input.provider, input.model);
    if (!c) {
      return { costMicros: null, priceKey: null };
    }
    const inTok = tokens(input.inputTokens);
    const cacheRead = tokens(input.cacheReadTokens);
    const cacheWrite = tokens(input.cacheWriteTokens);
    // Reasoning is part of output; a report with reasoning > output still bills the reasoning once.
    const output = tokens(input.outputTokens);
    const reasoning = tokens(input.reasoningTokens);
    const outTok = output > reasoning ? output : reasoning;
    const cached = cacheRead + cacheWrite;
    const uncached = inTok > cached ? inTok - cached : 0n;
    const prompt = inTok > cached ? inTok : cached;
    const r = c.tiers.find((t) => prompt > BigInt(t.above))?.rates ?? c.base;
    const scaled = uncached * r.input + cacheRead * r.cacheRead + cacheWrite * r.cacheWrite + outTok * r.output;
    return { costMicros: Number(roundScaledToMicros(scaled)), priceKey: c.entry.key };
  }

  private resolveCompiled(provider: string | null, model: string | null): Compiled | null {
    if (model === null || model.trim() === '' || model.length > MAX_PRICED_MODEL_NAME) {
      return null;
    }
    const cacheKey = `${provider ?? ''}\u0000${model}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) {
      return hit;
    }
    const found = this.lookup(canonicalProvider(provider), model);
    if (this.cache.size >= RESOLVE_CACHE_MAX) {
      this.cache.clear();
    }
    this.cache.set(cacheKey, found);
    return found;
  }

  private lookup(provider: string | null, model: string): Compiled | null {
    const candidates = modelCandidates(model);
    // Overrides: first match in file order wins.
    for (const o of this.overrides) {
      if (o.provider !== null && o.provider !== provider) {
        continue;
      }
      const raw = model.trim();
      if (
        o.regex ? o.regex.test(raw) || candidates.some((c) => o.regex?.test(c)) : candidates.includes(o.exact ?? '')
      ) {
        return o;
      }
    }
    // Bundled: longest prefix wins; among equals, the span's provider (or a host of it), then table order.
    const preferred = preferredTableProviders(provider);
    let best: Compiled | null = null;
    let bestLen = -1;
    let bestPref = false;
    for (const cand of candidates) {
      for (const prefix of boundaryPrefixes(cand)) {
        if (prefix.length < bestLen) {
          break; // prefixes come longest first
        }
        for (const c of this.byPrefix.get(prefix) ?? []) {
          const pref = c.entry.provider !== null && preferred.includes(c.entry.provider);
          const better =
            prefix.length > bestLen ||
            (pref && !bestPref) ||
            (pref === bestPref && best !== null && c.order < best.order);
          if (better) {
            best = c;
            bestLen = prefix.length;
            bestPref = pref;
          }
        }
      }
    }
    return best;
  }
}
