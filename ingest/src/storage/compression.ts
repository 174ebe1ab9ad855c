// Column compression by the file's storage format. Every VARCHAR column names its method,
// because DuckDB's automatic choice analyzes each candidate per column and row group (2048 rows
// here), and that analysis alone cost ~5 us per span on the DuckDB thread.
//
// New files use storage format v1.5 (STORAGE_VERSION), whose ZSTD compresses the large text
// columns (attributes, events, prompts, completions: ~1-2 KB of JSON and prose per span) in
// about half the CPU of FSST, and ~3x tighter; repeated values use DICT_FSST. Measured
// (bench/ingest-apply.bench.ts, 200k bench spans): DuckDB apply + checkpoint 19.2 -> 11.9 us per
// span, file 812 -> 551 bytes per span. Files created before keep their format (attaching them
// with a newer version would upgrade them in place, and their columns' FSST and dictionary,
// refused for new data from format v1.3 on, would then fall back to no compression at all).
// One way: a file this service created cannot be opened by releases before it, whose table
// definitions name dictionary compression (docs/configuration.md, PYFLARE_DATA_DIR).
import type { DuckDBConnection } from '@duckdb/node-api';

/** The storage format of files this service creates. */
export const STORAGE_VERSION = 'v1.5.0';

export interface ColumnCompression {
  /** Large free text and JSON. */
  text: string;
  /** Values that repeat within a row group (names, kinds, models, trace ids of a few spans each). */
  repeated: string;
  /** Unique values (span ids): stored as they are. */
  unique: string;
}

const MODERN: ColumnCompression = { text: 'zstd', repeated: 'dict_fsst', unique: 'uncompressed' };
/** Formats before v1.3 (FSST and dictionary are refused for new data from v1.3 on, DICT_FSST exists from v1.3). */
const LEGACY: ColumnCompression = { text: 'fsst', repeated: 'dictionary', unique: 'uncompressed' };

/** The methods for a file of storage format `version` (as DuckDB tags it: 'v1.0.0+', 'v1.5.0+'). */
export function compressionFor(version: string): ColumnCompression {
  const m = /^v(\d+)\.(\d+)\./.exec(version);
  if (!m) {
    throw new Error(`unknown DuckDB storage version "${version}"`);
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 3) ? MODERN : LEGACY;
}

/** The storage format of the attached database `catalog`. */
export async function storageVersionOf(c: DuckDBConnection, catalog: string): Promise<string> {
  const r = await c.runAndReadAll(
    `SELECT tags['storage_version'] AS v FROM duckdb_databases() WHERE database_name = '${catalog}'`
  );
  const v = r.getRowObjectsJS()[0]?.v;
  if (typeof v !== 'string') {
    throw new Error(`DuckDB does not report the storage version of ${catalog}`);
  }
  return v;
}
