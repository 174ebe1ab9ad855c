// DuckDB's memory limit, raised as the data needs it, up to the configured ceiling.
//
// Most of what DuckDB holds is cache, table blocks it evicts when it needs room. What it cannot
// evict until the next checkpoint is the trace lookup index nodes that commits dirtied: nearly
// all of the index, since trace ids are random, so it grows with the stored spans (at 10M:
// 50-56 MB under a 144MB limit, 71 MB with room to spare). A checkpoint that runs out of memory invalidates the database. A limit sized for a large
// index from the start would let the cache fill it on a small database too; so the limit starts
// low and follows the index (`ART_INDEX` in duckdb_memory()).

/** Bytes of a size as DuckDB and PYFLARE_DUCKDB_MEMORY_LIMIT write it: 128MB (10^6), 2GiB (2^30). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(s.trim());
  if (!m) {
    throw new Error(`not a size: "${s}" (need e.g. 128MB or 2GiB)`);
  }
  const unit = m[2]!.toLowerCase();
  const factor: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.round(Number(m[1]) * factor[unit]!);
}

/**
 * PYFLARE_DUCKDB_MEMORY_LIMIT=auto: a quarter of the memory this process may use (its cgroup's
 * limit when that is below RAM: os.totalmem() reports the host's in a container), and never
 * below the fixed 512MB cap of earlier builds. The index needs ~5-13 bytes per stored span, so
 * 512MB reaches its warning point (WARN_AT) at 24-63M spans and its end at 32-83M: three to ten
 * days at 100 spans/s, short of the default 30-day retention.
 * It is a ceiling, not a reservation: DuckDB runs lower until the index needs more.
 */
export function autoCeiling(totalBytes: number, constrainedBytes: number | undefined): number {
  const usable = constrainedBytes !== undefined && constrainedBytes > 0 && constrainedBytes < totalBytes ? constrainedBytes : totalBytes;
  return Math.max(AUTO_FLOOR, Math.floor(usable / 4));
}
const AUTO_FLOOR = 512e6;

/** The limit is raised when the need passes this share of it... */
export const RAISE_AT = 0.8;
/** ...to at least this multiple of the current limit and of the need (fewer, larger steps)... */
const GROWTH = 1.5;
/** ...and a warning is due when the need passes this share of the ceiling. */
export const WARN_AT = 0.8;
/**
 * What DuckDB needs besides the index: the rollup tables' open segments (~51 MB in a file of 256
 * KiB blocks; ~13 MB with the 64 KiB blocks of new files, not counted apart: the failures below
 * were measured on the larger blocks) and room for a write. Measured at 10M spans stored: 50-56
 * MB of index, and 128MB failed while 144MB held.
 * Uncheckpointed span row groups are not counted: DuckDB can write them to its temp directory.
 */
const OVERHEAD = 96e6;
/**
 * Index bytes per stored span, for an estimate before the index is loaded: measured 5.0-5.6 at
 * 10M spans stored, ~13 at 2.5M (fitMemory measures the index again before applies and checkpoints).
 */
const INDEX_PER_SPAN = 13;

/** The memory DuckDB needs with `indexBytes` of trace lookup index loaded. */
export function needFor(indexBytes: number): number {
  return OVERHEAD + indexBytes;
}

/** The need estimated before anything is loaded (at open), from the stored span count. */
export function estimateNeed(storedSpans: number): number {
  return needFor(INDEX_PER_SPAN * storedSpans);
}

/** The limit to run with: `current`, or more when `need` is close to it; never above `ceiling`. */
export function fitLimit(current: number, need: number, ceiling: number): number {
  if (need <= current * RAISE_AT || current >= ceiling) {
    return current;
  }
  return Math.min(ceiling, Math.ceil(Math.max(current, need) * GROWTH));
}

export interface MemoryEvent {
  /** `raised`: the limit went up; `near_ceiling`: the need is close to the ceiling. */
  kind: 'raised' | 'near_ceiling';
  limitBytes: number;
  previousBytes: number;
  /** The trace lookup index (ART) DuckDB holds now, and what that makes it need. */
  indexBytes: number;
  needBytes: number;
  ceilingBytes: number;
}
