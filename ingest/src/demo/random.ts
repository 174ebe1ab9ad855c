// Deterministic randomness for the demo generator. Every trace and every inference record
// gets its own generator derived from (seed, stream, index), so what is generated for one
// index never depends on how many were generated before it, on batching or on the clock
// at which the generator runs (continuous mode picks up exactly where the backfill stopped).

/** splitmix32-style integer hash of a few numbers. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Fold the high bits of larger (integer) numbers in as well.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const x of [lo, hi]) {
      h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35) >>> 0;
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

export class Rand {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** mulberry32: a uniform number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [v, w] of items) {
      x -= w;
      if (x < 0) {
        return v;
      }
    }
    return items[items.length - 1]![0];
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median; `spread` is the sd of the log. */
  logNormal(median: number, spread: number): number {
    return median * Math.exp(this.normal(0, spread));
  }

  hex(chars: number): string {
    let s = '';
    for (let i = 0; i < chars; i++) {
      s += Math.floor(this.next() * 16).toString(16);
    }
    // All-zero ids are invalid in OTLP.
    return /^0+$/.test(s) ? `1${s.slice(1)}` : s;
  }
}

/** The generator of item `index` of `stream` for a seed. */
export function randFor(seed: number, stream: number, index: number): Rand {
  return new Rand(hash32(seed, stream, index));
}
