/** JSON.stringify that writes bigint as a decimal string (JSON has no 64-bit integers). */
export function stringifyBig(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** bigint -> number when exact, else its decimal string. */
export function bigToJson(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export function toNumber(v: unknown): number {
  if (typeof v === 'bigint') {
    return Number(v);
  }
  if (typeof v === 'number') {
    return v;
  }
  if (v === null || v === undefined) {
    return 0;
  }
  return Number(v);
}

export function nsToIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}
