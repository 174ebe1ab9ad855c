// A DuckDB table function fed from JS: `INSERT INTO t SELECT * FROM <name>()` then runs on a
// DuckDB thread and pulls what load() was given, one output chunk per call of the callback (on
// the JS thread). An Appender would do the insert itself (its flush appends to the transaction's
// storage) on the calling thread, which is the JS thread. ChunkScan (spanChunks.ts) feeds
// prepared span chunks this way, RowScan (rowScan.ts) rollup rows.
import type { DuckDBConnection } from '@duckdb/node-api';
import ddb from '@duckdb/node-bindings';

/** Rows per chunk: DuckDB's vector size. */
export const CHUNK_ROWS = ddb.vector_size();

export abstract class TableScan<T> {
  protected pending: readonly T[] = [];
  protected next = 0;
  private rows = 0;
  private delivered = 0;

  constructor(readonly name: string) {}

  /** Registers the table function on the connection (once). */
  register(connection: ddb.Connection): void {
    const tf = ddb.create_table_function();
    ddb.table_function_set_name(tf, this.name);
    ddb.table_function_set_bind(tf, (info) => this.bind(info));
    ddb.table_function_set_init(tf, () => undefined);
    ddb.table_function_set_function(tf, (info, out) => {
      try {
        this.fill(out);
        this.delivered += ddb.data_chunk_get_size(out);
        // select()'s limit cuts off any row past it without a word, and the transaction would
        // commit short: a scan that returns more than rowsIn() counted fails its statement instead.
        if (this.delivered > this.rows || (this.delivered === this.rows && this.next < this.pending.length)) {
          throw new Error(`returns more rows than the ${this.rows} it counted (rowsIn)`);
        }
      } catch (e) {
        ddb.function_set_error(info, `${this.name}: ${(e as Error).message}`);
      }
    });
    ddb.register_table_function(connection, tf);
  }

  /** Makes `items` what the next scan returns (call right before the statement). */
  load(items: readonly T[]): void {
    this.pending = items;
    this.next = 0;
    this.rows = this.rowsIn(items);
    this.delivered = 0;
  }

  /**
   * `SELECT *<extra> FROM <scan>() LIMIT <rows load() was given>`. The limit is exact: DuckDB
   * stops pulling once the last row has come (a streaming limit, nothing is buffered) instead
   * of calling back once more for an empty chunk. Each call is a hop to the JS thread, which
   * answers 1.6 ms late on average under load (bench/README.md), and an apply runs four scans.
   */
  select(extra = ''): string {
    // Without rows, no limit: LIMIT 0 would not call fill() at all, so a miscount could not show.
    return `SELECT *${extra} FROM ${this.name}()${this.rows > 0 ? ` LIMIT ${this.rows}` : ''}`;
  }

  /** Drops the references (after the statement). */
  clear(): void {
    this.pending = [];
    this.next = 0;
    this.rows = 0;
    this.delivered = 0;
  }

  /** The rows fill() will return for `items`, in all: the limit of select(). */
  protected abstract rowsIn(items: readonly T[]): number;

  /** Declares the result columns. */
  protected abstract bind(info: ddb.TableFunctionBindInfo): void;

  /** Fills `out` with what comes next from `pending` (size 0 once all was returned). */
  protected abstract fill(out: ddb.DataChunk): void;
}

/** The columns of `table` in the connection's current database, in order (a scan's columns must match them). */
export async function columnNames(c: DuckDBConnection, table: string): Promise<string[]> {
  const r = await c.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = '${table}' ORDER BY column_index`);
  return r.getRowObjectsJS().map((x) => String(x.column_name));
}
