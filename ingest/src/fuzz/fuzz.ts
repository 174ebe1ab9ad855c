// Shared settings of the *.fuzz.test.ts files: a bounded run in the normal suite, a long one
// with `npm run fuzz -w @pyflare/ingest` (FUZZ_RUNS=N, FUZZ_SECONDS=S per property).
import assert from 'node:assert/strict';
import fc from 'fast-check';

/** Runs per property (default: a bounded few hundred, a few seconds each). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Time budget per property: fast-check stops generating after it (counts as success). */
export const FUZZ_MS = Number(process.env.FUZZ_SECONDS ?? 8) * 1000;
/** One input may take at most this long: a hang or super-linear blow-up fails the property. */
export const INPUT_BUDGET_MS = Number(process.env.FUZZ_INPUT_MS ?? 2000);
/** The node:test timeout of a property test (the runner kills a real hang). */
export const TEST_TIMEOUT_MS = FUZZ_MS + 60_000;

/** Replays a failing run: FUZZ_SEED=<seed from the failure report>. */
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

export const fcParams = {
  numRuns: FUZZ_RUNS,
  interruptAfterTimeLimit: FUZZ_MS,
  markInterruptAsFailure: false,
  ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }),
} as const;

/** Calls fn, failing when it took longer than the per-input budget. */
export function timeBoxed<T>(what: string, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    assert.ok(ms < INPUT_BUDGET_MS, `${what} took ${Math.round(ms)} ms (budget ${INPUT_BUDGET_MS} ms)`);
  }
}

/** An error for a client: a non-empty, bounded, single message of the expected class. */
export function assertClearError(e: unknown, cls: abstract new (...args: never[]) => Error, what: string): void {
  assert.ok(e instanceof cls, `${what}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  assert.ok(e.message.length > 0 && e.message.length < 4096, `${what}: message of ${e.message.length} chars`);
}

/** Summary lines of the runs so far (the long run prints them: its size and result). */
export function reportRuns(name: string, d: { numRuns: number; interrupted: boolean; failed: boolean }): void {
  process.stdout.write(`# fuzz ${name}: ${d.numRuns} inputs${d.interrupted ? ' (stopped at the time limit)' : ''}, ${d.failed ? 'FAILED' : 'ok'}\n`);
}

const done = <Ts>(name: string, d: fc.RunDetails<Ts>): void => {
  reportRuns(name, d);
  if (d.failed) {
    // The report's counterexample is the shrunk one; the error it raised says what broke.
    const cause = d.errorInstance instanceof Error ? `\n${d.errorInstance.message}` : '';
    throw new Error(`${fc.defaultReportMessage(d) ?? `${name} failed`}${cause}`);
  }
};

/** fc.assert that also reports how many inputs ran (fc.check + the same failure report). */
export function fuzzAssert<Ts>(name: string, prop: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
  done(name, fc.check(prop, params));
}

export async function fuzzAssertAsync<Ts>(name: string, prop: fc.IAsyncProperty<Ts>, params: fc.Parameters<Ts>): Promise<void> {
  done(name, await fc.check(prop, params));
}
