// JS rows -> a DuckDB table function (see tableScan.ts): for the rollup rows of each apply, an
// Appender's flush was ~1.6 us per ingested span of JS-thread time. Here the JS thread only
// writes each output vector (numbers through typed arrays, one native call per string).
import ddb from '@duckdb/node-bindings';
import { CHUNK_ROWS, TableScan } from './tableScan.js';

/** How a column's value is read from a row. */
export type RowColumn<T> =
  | { name: string; type: 'BIGINT'; nullable: boolean; get: (row: T) => bigint | null }
  | { name: string; type: 'HUGEINT'; get: (row: T) => bigint }
  | { name: string; type: 'BOOLEAN'; get: (row: T) => boolean }
  | { name: string; type: 'VARCHAR'; nullable: boolean; get: (row: T) => string | null };

const TYPE_IDS = { BIGINT: ddb.Type.BIGINT, HUGEINT: ddb.Type.HUGEINT, BOOLEAN: ddb.Type.BOOLEAN, VARCHAR: ddb.Type.VARCHAR } as const;
const VALIDITY_BYTES = Math.ceil(CHUNK_ROWS / 64) * 8;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT128_MAX = (1n << 127n) - 1n;
const INT128_MIN = -(1n << 127n);

/** Feeds the rows given to load() to the table function `name` on one connection. */
export class RowScan<T> extends TableScan<T> {
  // Staging, reused: one column is written at a time.
  private readonly words = new BigInt64Array(CHUNK_ROWS * 2);
  private readonly uwords = new BigUint64Array(this.words.buffer);
  private readonly bytes = new Uint8Array(CHUNK_ROWS);
  private readonly valid = new Uint8Array(VALIDITY_BYTES);

  constructor(
    name: string,
    readonly columns: ReadonlyArray<RowColumn<T>>
  ) {
    super(name);
  }

  protected rowsIn(items: readonly T[]): number {
    return items.length;
  }

  protected bind(info: ddb.TableFunctionBindInfo): void {
    for (const c of this.columns) {
      ddb.bind_add_result_column(info, c.name, ddb.create_logical_type(TYPE_IDS[c.type]));
    }
  }

  protected fill(out: ddb.DataChunk): void {
    const n = Math.min(CHUNK_ROWS, this.pending.length - this.next);
    if (n > 0) {
      this.write(out, this.next, n);
      this.next += n;
    }
    ddb.data_chunk_set_size(out, Math.max(0, n));
  }

  private write(out: ddb.DataChunk, from: number, n: number): void {
    const rows = this.pending;
    for (let col = 0; col < this.columns.length; col++) {
      const c = this.columns[col]!;
      const vec = ddb.data_chunk_get_vector(out, col);
      switch (c.type) {
        case 'VARCHAR':
          this.writeNullable(vec, n, (i) => c.get(rows[from + i]!), (i, v) => ddb.vector_assign_string_element(vec, i, v));
          break;
        case 'BIGINT':
          this.writeNullable(
            vec,
            n,
            (i) => c.get(rows[from + i]!),
            (i, v) => {
              // A typed array would wrap it silently; the statement must fail instead.
              if (v > INT64_MAX || v < INT64_MIN) {
                throw new Error(`${c.name}: bigint out of int64 range (${v})`);
              }
              this.words[i] = v;
            },
            (i) => (this.words[i] = 0n)
          );
          ddb.copy_data_to_vector(vec, 0, this.words.buffer, 0, n * 8);
          break;
        case 'HUGEINT': {
          // hugeint_t: uint64 lower, int64 upper (little-endian).
          for (let i = 0; i < n; i++) {
            const v = c.get(rows[from + i]!);
            if (v > INT128_MAX || v < INT128_MIN) {
              throw new Error(`${c.name}: bigint out of int128 range (${v})`);
            }
            this.uwords[i * 2] = BigInt.asUintN(64, v);
            this.words[i * 2 + 1] = BigInt.asIntN(64, v >> 64n);
          }
          ddb.copy_data_to_vector(vec, 0, this.words.buffer, 0, n * 16);
          break;
        }
        case 'BOOLEAN':
          for (let i = 0; i < n; i++) {
            this.bytes[i] = c.get(rows[from + i]!) ? 1 : 0;
          }
          ddb.copy_data_to_vector(vec, 0, this.bytes.buffer, 0, n);
          break;
      }
    }
  }

  /**
   * Rows 0..n-1 of a nullable column: `put` writes a value, `onNull` (if any) the slot of a
   * NULL; the validity mask is set only when the column has a NULL.
   */
  private writeNullable<V>(vec: ddb.Vector, n: number, get: (i: number) => V | null, put: (i: number, v: V) => void, onNull?: (i: number) => void): void {
    let nulls = false;
    for (let i = 0; i < n; i++) {
      const v = get(i);
      if (v !== null) {
        put(i, v);
        continue;
      }
      if (!nulls) {
        nulls = true;
        this.valid.fill(0xff);
      }
      this.valid[i >> 3]! &= ~(1 << (i & 7));
      onNull?.(i);
    }
    if (nulls) {
      ddb.vector_ensure_validity_writable(vec);
      ddb.copy_data_to_vector_validity(vec, 0, this.valid.buffer, 0, Math.ceil(n / 64) * 8);
    }
  }
}
