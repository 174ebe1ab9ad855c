import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { OverloadedError } from '../errors.js';
import { DuckDbStorage } from '../storage/duckdb.js';
import { startRetention } from '../storage/retention.js';
import { COMPACTION_FAILED } from '../storage/rollups.js';
import { quietLog, withIntake, type IntakeOptions } from '../testing/intake.js';
import { jsonBody, type JsonSpanSpec } from '../testing/otlp.js';
import { makeTempDir } from '../testing/service.js';
import { WalCipher } from '../privacy/walCipher.js';
import { Wal, type WalEntry } from '../wal/wal.js';
import { createReplayPreparer } from './exporter.js';
import { Intake, type IntakeRequest, type IntakeStorage } from './pipeline.js';

const log = quietLog;
const walFiles = async (dir: string) => (await fs.readdir(path.join(dir, 'wal'))).filter((f) => f.endsWith('.wal'));

/** An OTLP/JSON request of `n` spans as the WAL logs it. */
function logged(n: number, spec: JsonSpanSpec = {}): WalEntry {
  const body = Buffer.from(JSON.stringify(jsonBody(Array.from({ length: n }, () => ({ ...spec })))));
  return { format: 'json', receivedNs: BigInt(Date.now()) * 1_000_000n, body };
}

/** The same request, decoded and normalized for storage, as the exporter hands it to the intake. */
function req(db: DuckDbStorage, n: number, spec: JsonSpanSpec = {}): IntakeRequest {
  const e = logged(n, spec);
  const prepared = createReplayPreparer({ storage: db, pricer: null })(e) ?? db.newSpanBatch().finish();
  return { format: e.format, receivedNs: e.receivedNs, body: e.body, prepared };
}

/** Reserves queue room (as the exporter does) and submits. */
function submit(intake: Intake, r: IntakeRequest): Promise<void> {
  try {
    intake.reserveNow(r.body.byteLength);
  } catch (e) {
    r.prepared.spans.release();
    return Promise.reject(e as Error);
  }
  return intake.submit(r);
}

/** The real storage with some of its methods replaced (fault injection). */
function storageWith(db: DuckDbStorage, o: Partial<IntakeStorage>): IntakeStorage {
  return {
    appliedSeq: () => db.appliedSeq(),
    applyBatch: (rows, seq) => db.applyBatch(rows, seq),
    checkpoint: () => db.checkpoint(),
    applyPrepared: (batches, seq) => db.applyPrepared(batches, seq),
    ...o,
  };
}

/**
 * A crash after the WAL fsync and before DuckDB got the requests: a fresh DuckDB and a WAL
 * holding `entries` only. `start` opens an intake over them, as a restart does.
 */
async function withLoggedWal(
  entries: readonly WalEntry[],
  fn: (db: DuckDbStorage, dir: string, start: (o?: Partial<IntakeOptions>) => Promise<Intake>) => Promise<void>
): Promise<void> {
  const dir = await makeTempDir();
  const db = await DuckDbStorage.open({ dataDir: dir });
  try {
    const wal = await Wal.open({ dir: path.join(dir, 'wal') });
    await wal.start(0n);
    for (const e of entries) {
      await wal.append(e);
    }
    await wal.close();
    const start = (o: Partial<IntakeOptions> = {}) =>
      Intake.start({ storage: db, walDir: path.join(dir, 'wal'), queueMaxSpans: 1000, commitIntervalMs: 0, log, prepare: createReplayPreparer({ storage: db, pricer: null }), ...o });
    await fn(db, dir, start);
  } finally {
    await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('Intake', () => {
  it('makes batches durable, applies them, and checkpoints the WAL away', async () => {
    await withIntake({ checkpointIntervalMs: 0 }, async (intake, db, dir) => {
      await Promise.all([submit(intake, req(db, 3)), submit(intake, req(db, 4)), submit(intake, req(db, 0))]);
      await intake.flush();
      assert.equal((await db.status()).spanCount, 7);
      assert.equal(await db.appliedSeq(), 2n);
      assert.equal(intake.queueDepth, 0);
      // The next apply seals and deletes the segment holding seqs 1-2.
      await submit(intake, req(db, 1));
      await intake.flush();
      assert.ok((await walFiles(dir)).length <= 2);
      await intake.close();
      assert.deepEqual(await walFiles(dir), []);
      await assert.rejects(submit(intake, req(db, 1)), (e: unknown) => e instanceof OverloadedError && e.status === 503);
    });
  });

  it('refuses with 429 when the queue is full but lets an oversized batch through an empty queue', async () => {
    // Storage holds the apply until the gate opens: a waiting client makes the intake apply
    // at once, so the queue stays full only while storage is busy.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      queueMaxSpans: 10,
      commitIntervalMs: 60_000,
      storage: storageWith(db, { applyPrepared: (batches, seq) => gate.then(() => db.applyPrepared(batches, seq)) }),
    });
    await withIntake(opts, async (intake, db) => {
      await submit(intake, req(db, 25));
      await assert.rejects(submit(intake, req(db, 1)), (e: unknown) => e instanceof OverloadedError && e.status === 429 && e.retryAfterSeconds === 1);
      assert.throws(() => intake.reserveNow(10), (e: unknown) => e instanceof OverloadedError && e.status === 429);
      await assert.rejects(intake.reserve(10, 20), (e: unknown) => e instanceof OverloadedError && e.status === 429, 'waits, then refuses');
      assert.equal(intake.queueDepth, 25);
      // A waiting reservation gets in as soon as the queue drains.
      const waiting = intake.reserve(10, 10_000);
      open();
      await intake.flush();
      await waiting;
      intake.release(10);
      assert.equal((await db.status()).spanCount, 25);
      await submit(intake, req(db, 1));
    });
  });

  it('retries a failing apply in smaller transactions until it passes, without a checkpoint in between', async () => {
    // The real storage, failing as DuckDB does when a transaction needs more memory than its
    // memory_limit leaves: here for any transaction of more than 25 spans.
    const sizes: number[] = [];
    let checkpoints = 0;
    const errors: object[] = [];
    const failedSteps: string[] = [];
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      storage: storageWith(db, {
        checkpoint: () => {
          checkpoints++;
          return db.checkpoint();
        },
        applyPrepared: (batches, seq) => {
          const n = batches.reduce((x, b) => x + b.spans.rows, 0);
          sizes.push(n);
          return n > 25 ? Promise.reject(new Error('Out of Memory Error: could not allocate block of size 256.0 KiB')) : db.applyPrepared(batches, seq);
        },
      }),
      onApplyError: (step) => failedSteps.push(step),
      maxRowsPerApply: 64,
      commitIntervalMs: 60_000,
      log: { ...log, error: (o: object) => errors.push(o) },
    });
    await withIntake(opts, async (intake, db) => {
      await Promise.all(Array.from({ length: 6 }, () => submit(intake, req(db, 10))));
      const before = checkpoints;
      assert.deepEqual(intake.storageHealth(), { failures: 0, lastError: null, fatal: false });
      await assert.rejects(intake.flush(), /could not apply/);
      await assert.rejects(intake.flush(), /could not apply/);
      assert.equal(intake.storageHealth().failures, 2);
      assert.match(intake.storageHealth().lastError ?? '', /Out of Memory/);
      await intake.flush();
      assert.deepEqual(intake.storageHealth(), { failures: 0, lastError: null, fatal: false }, 'healthy again once an apply passes');
      assert.deepEqual(sizes, [60, 30, 10, 10, 10, 10, 10, 10]);
      assert.deepEqual(failedSteps, ['apply', 'apply'], 'counted for /metrics');
      assert.equal(checkpoints - before, 0, 'no checkpoint right after a failed apply: after a commit that failed for memory, DuckDB corrupted its index that way');
      assert.equal((await db.status()).spanCount, 60);
      assert.equal(intake.queueDepth, 0);
      assert.deepEqual(
        errors.map((e) => (e as { step: string; maxSpansPerApply: number }).maxSpansPerApply),
        [32, 16],
        'each failure halves the transaction size'
      );
    });
  });

  it('reports storage that needs a restart (DuckDB invalidated the database)', async () => {
    const invalidated = 'IO Error: Checkpoint failed for database "pyflare". The database has been invalidated. Original error: failed to pin block';
    // The real storage until `broken`; then every write fails as an invalidated DuckDB's does.
    let broken = false;
    const fail = () => Promise.reject(new Error(invalidated));
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      storage: storageWith(db, {
        applyBatch: (rows, seq) => (broken ? fail() : db.applyBatch(rows, seq)),
        checkpoint: () => (broken ? fail() : db.checkpoint()),
        applyPrepared: (batches, seq) => (broken ? fail() : db.applyPrepared(batches, seq)),
      }),
      commitIntervalMs: 60_000,
    });
    await withIntake(opts, async (intake, db) => {
      try {
        broken = true;
        await submit(intake, req(db, 3));
        await assert.rejects(intake.flush(), /could not apply/);
        const h = intake.storageHealth();
        assert.equal(h.fatal, true);
        assert.equal(h.failures, 1);
        assert.equal(intake.queueDepth, 3, 'the acknowledged spans stay queued (and in the WAL)');
      } finally {
        broken = false;
      }
    });
  });

  it('quarantines a request that storage refuses on its own, and applies the ones behind it', async () => {
    // A span count no BIGINT can hold (a stand-in for any value a column refuses): the real
    // trace-rollup insert refuses it ("bigint out of int64 range"), whichever transaction it is in.
    const poison = (r: IntakeRequest): IntakeRequest => {
      r.prepared.rollup.traces[0]!.spans = 2n ** 63n;
      return r;
    };
    const quarantined: number[] = [];
    const errors: object[] = [];
    const opts: IntakeOptions = {
      commitIntervalMs: 60_000,
      onQuarantine: (n) => quarantined.push(n),
      log: { ...log, error: (o: object) => errors.push(o) },
    };
    await withIntake(opts, async (intake, db, dir) => {
      const reqs = [req(db, 10), req(db, 11), poison(req(db, 12)), req(db, 13), req(db, 14)];
      const bodies = reqs.map((r) => Buffer.from(r.body));
      await Promise.all(reqs.map((r) => submit(intake, r)));
      // First flush: all five fail together, no progress: it throws. Second flush: one at a
      // time, 1 and 2 pass, 3 fails; again, 3 fails and is quarantined; then 4 and 5 pass.
      await assert.rejects(intake.flush(), /could not apply all queued spans/);
      assert.equal(intake.queueDepth, 60);
      await intake.flush();
      assert.equal(intake.queueDepth, 0, 'flush returns once everything queued is stored or quarantined');
      assert.equal((await db.status()).spanCount, 10 + 11 + 13 + 14);
      assert.deepEqual(intake.storageHealth(), { failures: 0, lastError: null, fatal: false });
      assert.deepEqual(quarantined, [12]);
      const qdir = path.join(dir, 'quarantine');
      const meta = JSON.parse(await fs.readFile(path.join(qdir, '00000000000000000003.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(meta.seq, '3');
      assert.equal(meta.spans, 12);
      assert.equal(meta.format, 'json');
      assert.equal(meta.encrypted, false);
      assert.match(String(meta.error), /int64/);
      assert.ok((await fs.readFile(path.join(qdir, String(meta.bodyFile)))).equals(bodies[2]!), 'the body exactly as logged');
      assert.ok(errors.some((e) => (e as { seq?: string }).seq === '3'), 'logged with its seq');
      // Nothing replays after a restart: the later applies recorded seqs past it.
      await submit(intake, req(db, 1));
      await intake.close();
      const again = await Intake.start({ storage: db, walDir: path.join(dir, 'wal'), queueMaxSpans: 1000, commitIntervalMs: 0, log, prepare: createReplayPreparer({ storage: db, pricer: null }) });
      assert.equal((await db.status()).spanCount, 49);
      await again.close();
    });
  });

  it('applies a request that arrived during a flush without another flush', async () => {
    let late: Promise<void> | null = null;
    let intakeRef: Intake | null = null;
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      storage: storageWith(db, {
        applyPrepared: async (batches, seq) => {
          // The first apply lets another request in while it runs.
          late ??= submit(intakeRef!, req(db, 2));
          await late;
          return db.applyPrepared(batches, seq);
        },
      }),
    });
    await withIntake(opts, async (intake, db) => {
      intakeRef = intake;
      await submit(intake, req(db, 3));
      await intake.flush();
      for (let i = 0; i < 100 && intake.queueDepth > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(intake.queueDepth, 0, 'scheduled once the flush ended');
      assert.equal((await db.status()).spanCount, 5);
    });
  });

  it('applies at once, not at the commit interval, once a quarter of the byte bound is queued', async () => {
    // Large spans (LLM prompts) fill the byte bound long before APPLY_NOW_SPANS spans.
    const r0 = (db: DuckDbStorage) => req(db, 2, { attrs: { 'gen_ai.prompt': 'p'.repeat(2000) } });
    await withIntake({ commitIntervalMs: 60_000, queueMaxBytes: 64 * 1024 }, async (intake, db) => {
      const small = req(db, 1);
      await submit(intake, small);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(intake.queueDepth, 1, 'a small request waits for the commit interval');
      let queued = 1;
      for (let bytes = small.body.byteLength; bytes < 16 * 1024; queued += 2) {
        const r = r0(db);
        bytes += r.body.byteLength;
        await submit(intake, r);
      }
      for (let i = 0; i < 100 && intake.queueDepth > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(intake.queueDepth, 0, 'applied without waiting 60 s');
      assert.equal((await db.status()).spanCount, queued);
    });
  });

  it('keeps its retry back-off while storage fails, however many clients wait for room', async () => {
    const calls: number[] = [];
    const t0 = Date.now();
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      commitIntervalMs: 200,
      queueMaxSpans: 100_000,
      queueMaxBytes: 64 * 1024,
      storage: storageWith(db, {
        applyPrepared: () => {
          calls.push(Date.now() - t0);
          return Promise.reject(new Error('IO Error: Could not write file: No space left on device'));
        },
      }),
    });
    await withIntake(opts, async (intake, db) => {
      // Fill the byte bound, then let a client wait for room every 50 ms for 2 s.
      for (;;) {
        const r = req(db, 20);
        try {
          await submit(intake, r);
        } catch {
          break;
        }
      }
      const stop = Date.now() + 2000;
      const waits: Array<Promise<unknown>> = [];
      while (Date.now() < stop) {
        waits.push(intake.reserve(4096, 500).then(() => intake.release(4096), () => undefined));
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(waits);
      // Back-off 400, 800, 1600 ms after the first failure: a handful of attempts, not one per client.
      assert.ok(calls.length >= 2 && calls.length <= 5, `applies during 2 s of failures at ${calls.join(', ')} ms`);
    });
  });

  it('never quarantines for a failed rollup compaction: it merges rows stored before', async () => {
    let failing = true;
    const quarantined: number[] = [];
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      storage: storageWith(db, {
        applyPrepared: (batches, seq) =>
          failing
            ? Promise.reject(new Error(`${COMPACTION_FAILED} (rollup_1m): Conversion Error: Type INT128 with value 1 can't be cast because the value is out of range`))
            : db.applyPrepared(batches, seq),
      }),
      commitIntervalMs: 60_000,
      onQuarantine: (n) => quarantined.push(n),
    });
    await withIntake(opts, async (intake, db, dir) => {
      await Promise.all([submit(intake, req(db, 3)), submit(intake, req(db, 4))]);
      for (let i = 0; i < 4; i++) {
        await assert.rejects(intake.flush(), /could not apply all queued spans/);
      }
      assert.deepEqual(quarantined, []);
      assert.equal(intake.queueDepth, 7, 'kept queued (and in the WAL) until storage works again');
      await assert.rejects(fs.access(path.join(dir, 'quarantine')));
      failing = false;
      await intake.flush();
      assert.equal((await db.status()).spanCount, 7);
    });
  });

  it('quarantines a refused record on replay instead of failing to start', async () => {
    // The refused record last: its seq must still count as used after the replay.
    const records = [logged(5), logged(7), logged(6, { name: 'refused' })];
    await withLoggedWal(records, async (db, dir, start) => {
      const real = createReplayPreparer({ storage: db, pricer: null });
      const prepare: typeof real = (r) => {
        const p = real(r);
        if (p && Buffer.from(r.body).includes('refused')) {
          p.rollup.traces[0]!.spans = 2n ** 63n;
        }
        return p;
      };
      const quarantined: number[] = [];
      const intake = await start({ prepare, onQuarantine: (n) => quarantined.push(n) });
      assert.equal((await db.status()).spanCount, 12);
      assert.deepEqual(quarantined, [6]);
      const files = (await fs.readdir(path.join(dir, 'quarantine'))).sort();
      assert.deepEqual(files, ['00000000000000000003.json', '00000000000000000003.otlp.json']);
      assert.ok((await fs.readFile(path.join(dir, 'quarantine', files[1]!))).equals(Buffer.from(records[2]!.body)));
      assert.equal(await db.appliedSeq(), 3n, 'storage records the quarantined seq as done');
      await intake.close();
      // Seqs continue after it, so a later quarantine can never reuse (and replace) its files.
      const again = await start({ prepare });
      await submit(again, req(db, 2));
      await again.flush();
      assert.equal(await db.appliedSeq(), 4n);
      await again.close();
    });
  });

  it('refuses to start on WAL records it cannot decrypt, keeping them, and replays them with the key', async () => {
    const cipher = new WalCipher('k'.repeat(32));
    const sealed = [4, 5].map((n) => {
      const e = logged(n);
      return { ...e, body: cipher.seal(e.body) };
    });
    await withLoggedWal(sealed, async (db, dir, start) => {
      const startWith = (walCipher: WalCipher | null) => start({ prepare: createReplayPreparer({ storage: db, pricer: null, walCipher }) });
      await assert.rejects(startWith(null), /cannot replay WAL record 1: WAL record is encrypted .*set PYFLARE_REDACTION_KEY/);
      await assert.rejects(startWith(new WalCipher('another key of 32 characters...')), /cannot replay WAL record 1: .*written with another key/);
      assert.ok((await walFiles(dir)).length > 0, 'the WAL is kept');
      assert.equal((await db.status()).spanCount, 0);
      const intake = await startWith(cipher);
      assert.equal((await db.status()).spanCount, 9, 'replayed once the key is right');
      await intake.close();
    });
  });

  it('keeps the WAL when the checkpoint at shutdown fails', async () => {
    let failCheckpoint = false;
    const opts = (db: DuckDbStorage): IntakeOptions => ({
      storage: storageWith(db, {
        checkpoint: () => (failCheckpoint ? Promise.reject(new Error('IO Error: Could not write file: No space left on device')) : db.checkpoint()),
      }),
      commitIntervalMs: 60_000,
      checkpointIntervalMs: 3_600_000,
    });
    await withIntake(opts, async (intake, db, dir) => {
      await Promise.all([submit(intake, req(db, 3)), submit(intake, req(db, 4))]);
      await intake.flush();
      assert.equal(await db.appliedSeq(), 2n, 'applied, not yet checkpointed');
      failCheckpoint = true;
      await assert.rejects(intake.close(), /No space left/);
      assert.ok((await walFiles(dir)).length > 0, 'applied rows are durable only from a checkpoint on: their WAL stays');
      failCheckpoint = false;
    });
  });

  it('replays acknowledged but unapplied batches exactly once after a restart', async () => {
    await withLoggedWal([logged(5), logged(6)], async (db, dir, start) => {
      const again = await start();
      assert.equal((await db.status()).spanCount, 11);
      assert.equal(await db.appliedSeq(), 2n);
      assert.ok(!(await walFiles(dir)).includes('0000000000000001.wal'), 'replayed segments are checkpointed away');
      await again.close();
      const third = await start();
      assert.equal((await db.status()).spanCount, 11, 'no double apply');
      await submit(third, req(db, 1));
      await third.flush();
      assert.equal(await db.appliedSeq(), 3n, 'seqs continue after the replayed ones');
      await third.close();
    });
  });
});

describe('retention', () => {
  it('deletes spans older than the retention period', async () => {
    await withIntake({}, async (intake, db) => {
      await submit(intake, req(db, 1, { startMs: Date.now() - 40 * 86_400_000 }));
      await submit(intake, req(db, 2));
      await intake.flush();
      const r = startRetention(db, { days: 30, log, firstRunMs: 3_600_000 });
      try {
        assert.equal(await r.runNow(), 1);
        assert.equal((await db.status()).spanCount, 2);
      } finally {
        r.stop();
      }
      const off = startRetention(db, { days: 0, log });
      assert.equal(await off.runNow(), 0);
      off.stop();
    });
  });
});
