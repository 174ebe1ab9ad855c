/** Formatting shared by the panels. Pure, locale-independent (tests run anywhere). */

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** 0.42 ms -> "420 µs", 12.34 ms -> "12.3 ms", 1234 ms -> "1.23 s", 125000 -> "2m 5s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '–';
  }
  if (ms === 0) {
    return '0 ms';
  }
  if (ms < 1) {
    return `${Math.round(ms * 1000)} µs`;
  }
  if (ms < 10) {
    return `${trimZeros(ms.toFixed(2))} ms`;
  }
  if (ms < 100) {
    return `${trimZeros(ms.toFixed(1))} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${trimZeros((ms / 1000).toFixed(2))} s`;
  }
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s === 60 ? `${m + 1}m` : s ? `${m}m ${s}s` : `${m}m`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return m ? `${h}h ${m}m` : `${h}h`;
}

/** US dollars with enough digits for per-call LLM costs: $0.0062, $1.25, $1,234.50. */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd)) {
    return '–';
  }
  if (usd === 0) {
    return '$0';
  }
  const abs = Math.abs(usd);
  const sign = usd < 0 ? '-' : '';
  if (abs < 0.0001) {
    return `${sign}<$0.0001`;
  }
  if (abs < 1) {
    return `${sign}$${trimZeros(abs.toFixed(4))}`;
  }
  return `${sign}$${groupThousands(abs.toFixed(2))}`;
}

function groupThousands(fixed: string): string {
  const [int = '', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac !== undefined ? `${grouped}.${frac}` : grouped;
}

/** Whole numbers with thousands separators: 1234567 -> "1,234,567". */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) {
    return '–';
  }
  return groupThousands(String(Math.round(n)));
}

/** Compact counts for narrow columns: 950, 1.2k, 3.4M. */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) {
    return '–';
  }
  const abs = Math.abs(n);
  if (abs < 1000) {
    return String(Math.round(n));
  }
  if (abs < 1_000_000) {
    return `${trimZeros((n / 1000).toFixed(abs < 10_000 ? 1 : 0))}k`;
  }
  return `${trimZeros((n / 1_000_000).toFixed(1))}M`;
}

/** Drift scores and other small ratios: 3 significant decimals. */
export function formatScore(v: number): string {
  if (!Number.isFinite(v)) {
    return '–';
  }
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
}

/** Tick positions (ms) of a time ruler: a 1-2-5 step giving about `count` intervals. */
export function rulerTicks(durationMs: number, count = 4): number[] {
  if (!Number.isFinite(durationMs) || durationMs <= 0) {
    return [0];
  }
  const rough = durationMs / count;
  const pow = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  const ticks: number[] = [];
  for (let t = 0; t <= durationMs + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** The first `n` characters of a long id: enough to tell traces apart in a list. */
export function shortId(id: string, n = 8): string {
  return id.length > n ? id.slice(0, n) : id;
}
