import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openClickHouse, type ClickHouseHandle } from './client.js';

describe('ClickHouse client on chdb', () => {
  let dir: string;
  let h: ClickHouseHandle;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-ch-client-'));
    h = await openClickHouse({ url: `chdb:${dir}`, username: 'default', password: '', database: 'clienttest', cluster: undefined });
    await h.client.command({
      query: 'CREATE TABLE clienttest.t (k UInt32) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100',
    });
  });
  after(async () => {
    await h.release();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const count = async () =>
    Number(((await (await h.client.query({ query: 'SELECT count() AS n FROM clienttest.t', format: 'JSONEachRow' })).json()) as Array<{ n: string }>)[0]!.n);

  it('a dedup token applies to its own insert only, though chdb keeps settings on its session', async () => {
    await h.client.insert({ table: 'clienttest.t', values: [{ k: 1 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'a' } });
    // A retry with the same token is dropped ...
    await h.client.insert({ table: 'clienttest.t', values: [{ k: 1 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'a' } });
    assert.equal(await count(), 1);
    // ... but a later insert without a token is not mistaken for that retry.
    await h.client.insert({ table: 'clienttest.t', values: [{ k: 2 }], format: 'JSONEachRow' });
    await h.client.command({ query: 'INSERT INTO clienttest.t VALUES (3)' });
    assert.equal(await count(), 3);
  });

  it('handles to the same directory share one session', async () => {
    const other = await openClickHouse({ url: `chdb:${dir}`, username: 'default', password: '', database: 'clienttest', cluster: undefined });
    assert.equal(other.client, h.client);
    await other.release();
    assert.equal(await count(), 3, 'releasing one handle keeps the shared client open');
  });
});
