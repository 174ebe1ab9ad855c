// What the service needs of an intake path, whatever the storage: the DuckDB WAL pipeline
// (pipeline.ts) or the ClickHouse intake (clickhouse.ts).

export interface SpanIntake {
  /** Queue room for a request body of `bytes`, waiting up to waitMs; throws OverloadedError. */
  reserve(bytes: number, waitMs?: number): Promise<void>;
  release(bytes: number): void;
  /** Spans received but not yet in storage. */
  readonly queueDepth: number;
  /** Bytes of the local write-ahead log (0 when there is none). */
  readonly walSizeBytes: Promise<number>;
  /** Resolves when everything received so far is in storage. */
  flush(): Promise<void>;
  /** Stops intake (503 from now on) and stores what was received. */
  close(): Promise<void>;
  /** How writes from the queue to storage are going (intakes with a local queue). */
  storageHealth?(): StorageHealth;
}

export interface StorageHealth {
  /** Consecutive failed attempts to write queued spans to storage (0: the last one passed). */
  failures: number;
  lastError: string | null;
  /** Storage refuses all work until the process restarts (DuckDB invalidated the database). */
  fatal: boolean;
}
