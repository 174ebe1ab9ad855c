// Public shapes of the price book. Rates are USD per million tokens as decimal strings
// ("2.5", "0.01875"): $/M tokens is numerically micro-dollars per token, and strings keep the
// arithmetic exact (see decimal.ts).

export interface PriceRates {
  readonly input: string;
  readonly output: string;
  /** Missing: cached reads are billed at `input`. */
  readonly cacheRead?: string;
  /** Missing: cache writes are billed at `input`. */
  readonly cacheWrite?: string;
}

/** Rates that replace the base rates once the prompt exceeds `aboveInputTokens`. */
export interface PriceTier extends PriceRates {
  readonly aboveInputTokens: number;
}

export type PriceOrigin = 'bundled' | 'override';

export interface PriceEntry extends PriceRates {
  /** Reported as `priceKey`, e.g. `openai/gpt-4o` or `override:/^my-model/`. */
  readonly key: string;
  /** Canonical provider (see canonicalProvider) or null for "any provider". */
  readonly provider: string | null;
  /**
   * bundled: lower-case model-name prefixes matched at a `-`, `:`, `@`, `_` boundary;
   * override: one exact model name (case-insensitive) or a `/regex/`.
   */
  readonly match: readonly string[];
  readonly origin: PriceOrigin;
  readonly tiers?: readonly PriceTier[];
  /** `<source id>: <key in that source>`; ids are described in PRICE_SOURCES. */
  readonly source?: string;
  readonly note?: string;
}

/** One row of the bundled table (prices.ts). */
export interface BundledPrice extends PriceRates {
  readonly key: string;
  readonly provider: string;
  readonly match: readonly string[];
  readonly tiers?: readonly PriceTier[];
  readonly source: string;
  readonly note?: string;
}

/** One entry of a user override file (PYFLARE_PRICES_FILE), after validation. */
export interface PriceOverride extends PriceRates {
  readonly match: string;
  readonly provider?: string;
}

export interface PriceInput {
  provider: string | null;
  model: string | null;
  /** All prompt tokens, INCLUDING cache reads and cache writes. */
  inputTokens: number;
  /** All completion tokens, INCLUDING reasoning tokens. */
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface PriceResult {
  /** Integer micro-dollars (rounded half-up once per call), or null when no price matched. */
  costMicros: number | null;
  priceKey: string | null;
}
