import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthResponse, readyResponse } from './serviceApi.js';
import { NOT_READY_AFTER_FAILURES, probes } from './rest.js';

describe('/healthz and /readyz', () => {
  it('are 200 while the service is up and storage writes pass', () => {
    const p = probes(true, { failures: 0, lastError: null, fatal: false });
    assert.deepEqual(p.health, { code: 200, body: { status: 'ok' } });
    assert.deepEqual(p.ready, { code: 200, body: { status: 'ready' } });
    // ClickHouse replicas have no local queue to report on: readiness is up/down only.
    assert.deepEqual(probes(true, undefined).ready, { code: 200, body: { status: 'ready' } });
    assert.deepEqual(probes(false, undefined).ready, { code: 503, body: { status: 'not ready' } });
  });

  it('report not ready, with the error, once storage writes fail several times in a row', () => {
    const err = 'Out of Memory Error: could not allocate block of size 256.0 KiB';
    assert.equal(probes(true, { failures: NOT_READY_AFTER_FAILURES - 1, lastError: err, fatal: false }).ready.code, 200, 'one failure may be passing');
    const p = probes(true, { failures: NOT_READY_AFTER_FAILURES, lastError: err, fatal: false });
    assert.equal(p.ready.code, 503);
    assert.equal(p.ready.body.reason, `storage writes failing (3 in a row): ${err}`);
    assert.equal(p.health.code, 200, 'still alive: the failure may pass (smaller transactions, a checkpoint)');
    assert.ok(readyResponse.safeParse(p.ready.body).success);
  });

  it('fail liveness when DuckDB refuses all work until a restart', () => {
    const err = 'IO Error: Checkpoint failed for database "pyflare". The database has been invalidated. Original error: failed to pin block';
    const p = probes(true, { failures: 5, lastError: err, fatal: true });
    assert.equal(p.health.code, 503);
    assert.equal(p.health.body.status, 'failing');
    assert.match(p.health.body.reason ?? '', /needs a restart: IO Error: Checkpoint failed/);
    assert.ok(healthResponse.safeParse(p.health.body).success);
    assert.equal(p.ready.code, 503);
  });
});
