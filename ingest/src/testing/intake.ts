// An intake over a fresh DuckDB in a temp directory, for the intake's own tests and the exporter's.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createReplayPreparer } from '../intake/exporter.js';
import { Intake } from '../intake/pipeline.js';
import { DuckDbStorage } from '../storage/duckdb.js';
import { makeTempDir } from './service.js';

export const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export type IntakeOptions = Partial<Parameters<typeof Intake.start>[0]>;

/** Runs `fn` on an intake over a fresh DuckDB; `opts` may depend on that storage. */
export async function withIntake(
  opts: IntakeOptions | ((db: DuckDbStorage) => IntakeOptions),
  fn: (intake: Intake, db: DuckDbStorage, dir: string) => Promise<void>
): Promise<void> {
  const dir = await makeTempDir();
  const db = await DuckDbStorage.open({ dataDir: dir });
  const intake = await Intake.start({
    storage: db,
    walDir: path.join(dir, 'wal'),
    queueMaxSpans: 1000,
    commitIntervalMs: 0,
    log: quietLog,
    prepare: createReplayPreparer({ storage: db, pricer: null }),
    ...(typeof opts === 'function' ? opts(db) : opts),
  });
  try {
    await fn(intake, db, dir);
  } finally {
    await intake.close().catch(() => undefined);
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
