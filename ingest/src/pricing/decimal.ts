// Exact money math. A rate in $/M tokens equals micro-dollars per token, so a rate string is
// parsed into an integer count of 1e-12 micro-dollars per token and costs are summed as bigint;
// rounding to whole micro-dollars happens once, at the end.

/** Digits kept after the decimal point of a rate. */
export const RATE_DECIMALS = 12;
export const RATE_SCALE = 10n ** BigInt(RATE_DECIMALS);

/** Up to 9 integer digits (a billion dollars per million tokens is plenty) and 12 decimals. */
export const DECIMAL_RE = /^(\d{1,9})(?:\.(\d{1,12}))?$/;

/** Parses a non-negative decimal rate into units of 1e-12 micro-dollars per token. */
export function parseRate(rate: string): bigint {
  const m = DECIMAL_RE.exec(rate);
  if (!m) {
    throw new Error(`invalid rate ${JSON.stringify(rate)}: expected a non-negative decimal like "2.5"`);
  }
  const whole = m[1] ?? '0';
  const frac = (m[2] ?? '').padEnd(RATE_DECIMALS, '0');
  return BigInt(whole) * RATE_SCALE + BigInt(frac);
}

/** Turns a JS number (e.g. from YAML `input: 2.5`) into a canonical decimal string, or null if it cannot be one. */
export function numberToDecimal(n: number): string | null {
  if (!Number.isFinite(n) || n < 0 || n >= 1e9) {
    return null;
  }
  // toFixed gives the shortest correctly rounded decimal at 12 places; trailing zeros go.
  const s = n.toFixed(RATE_DECIMALS).replace(/\.?0+$/, '');
  return s === '' ? '0' : s;
}

/** Scaled total -> whole micro-dollars, rounding half up (totals are never negative). */
export function roundScaledToMicros(scaled: bigint): bigint {
  return (scaled + RATE_SCALE / 2n) / RATE_SCALE;
}
