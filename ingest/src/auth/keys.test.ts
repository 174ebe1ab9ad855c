import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { AuthError } from '../errors.js';
import { DuckDbStorage } from '../storage/duckdb.js';
import { makeTempDir } from '../testing/service.js';
import { Auth, hashKey, keyFromHeaders } from './keys.js';

const quiet = { warn: () => undefined };

describe('API keys', () => {
  it('reads the key from Authorization: Bearer or x-api-key', () => {
    assert.equal(keyFromHeaders({ authorization: 'Bearer abc' }), 'abc');
    assert.equal(keyFromHeaders({ authorization: 'bearer  abc ' }), 'abc');
    assert.equal(keyFromHeaders({ 'x-api-key': ' k ' }), 'k');
    assert.equal(keyFromHeaders({ authorization: 'Basic xyz' }), undefined);
    assert.equal(keyFromHeaders({}), undefined);
  });

  it('stores only hashes, checks scopes and survives a restart', async () => {
    const dir = await makeTempDir();
    try {
      const db = await DuckDbStorage.open({ dataDir: dir });
      const a = await Auth.create(db, { bootstrapKey: 'bootstrap-key-0123456789', disabled: false, log: quiet });
      assert.deepEqual(a.authorize('bootstrap-key-0123456789', 'admin'), { keyId: 'bootstrap', scopes: ['ingest', 'read', 'admin'] });
      const { key, id } = await a.createKey('collector', ['ingest']);
      assert.equal(a.authorize(key, 'ingest').keyId, id);
      assert.throws(() => a.authorize(key, 'read'), (e: unknown) => e instanceof AuthError && e.status === 403);
      assert.throws(() => a.authorize(undefined, 'read'), (e: unknown) => e instanceof AuthError && e.status === 401);
      assert.throws(() => a.authorize('nope', 'read'), (e: unknown) => e instanceof AuthError && e.status === 401);
      const stored = await db.listApiKeys();
      assert.ok(stored.every((k) => k.keyHash.length === 64 && k.keyHash !== key));
      assert.ok(stored.some((k) => k.keyHash === hashKey(key).toString('hex')));
      await db.close();

      const db2 = await DuckDbStorage.open({ dataDir: dir });
      const b = await Auth.create(db2, { disabled: false, log: quiet });
      assert.equal(b.authorize(key, 'ingest').keyId, id, 'keys persist');
      assert.equal(await b.deleteKey(id), true);
      assert.throws(() => b.authorize(key, 'ingest'), /unknown API key/);
      await db2.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('warns loudly when disabled and lets everything through', async () => {
    const dir = await makeTempDir();
    try {
      const db = await DuckDbStorage.open({ dataDir: dir });
      const warnings: string[] = [];
      const a = await Auth.create(db, { disabled: true, log: { warn: (_o, m) => warnings.push(m) } });
      assert.equal(a.authorize(undefined, 'admin').keyId, 'anonymous');
      assert.match(warnings.join('\n'), /AUTHENTICATION IS DISABLED/);
      await db.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
