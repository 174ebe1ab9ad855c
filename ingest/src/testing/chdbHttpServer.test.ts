// The chdb HTTP shim, driven by the real @clickhouse/client over HTTP (no mocks): what the
// multi-process tests rely on must behave as a ClickHouse server's HTTP interface does.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { ChdbHttpServer } from './chdbHttpServer.js';

const USER = 'pf';
const PASSWORD = 'secret-pw';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ClickHouseError, `expected a ClickHouseError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected the request to fail');
}

describe('ChdbHttpServer with @clickhouse/client', () => {
  let dir: string;
  let server: ChdbHttpServer;
  let client: ClickHouseClient;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-chdbhttp-'));
    server = new ChdbHttpServer({ dir, user: USER, password: PASSWORD });
    await server.start();
    client = createClient({ url: server.url, username: USER, password: PASSWORD, compression: { request: true, response: true } });
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS shim' });
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS shim.t (id UInt64, name String, v Int64) ENGINE = MergeTree ORDER BY id
              SETTINGS non_replicated_deduplication_window = 100`,
    });
  });

  after(async () => {
    await client.close();
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers ping', async () => {
    const r = await client.ping();
    assert.equal(r.success, true);
  });

  it('runs queries in JSONEachRow, JSON, CSV and TabSeparated with bound parameters', async () => {
    const rs = await client.query({
      query: 'SELECT {a:UInt32} + 1 AS x, {s:String} AS s, {big:Int64} AS big',
      query_params: { a: 2, s: "it's \\ \"quoted\"", big: '9007199254740993' },
      format: 'JSONEachRow',
    });
    assert.deepEqual(await rs.json(), [{ x: '3', s: "it's \\ \"quoted\"", big: '9007199254740993' }]);

    const j = await client.query({ query: 'SELECT number AS n FROM system.numbers LIMIT 3', format: 'JSON' });
    const body = await j.json<{ n: string }>();
    assert.deepEqual(body.data, [{ n: '0' }, { n: '1' }, { n: '2' }]);
    assert.equal(body.rows, 3);

    const csv = await client.query({ query: "SELECT 1 AS a, 'x,y' AS b", format: 'CSVWithNames' });
    assert.equal(await csv.text(), '"a","b"\n1,"x,y"\n');

    const tsv = await client.query({ query: 'SELECT 40 + 2', format: 'TabSeparated' });
    assert.equal(await tsv.text(), '42\n');
  });

  it('inserts JSONEachRow and reads it back in the table database', async () => {
    await client.insert({
      table: 'shim.t',
      values: [
        { id: 1, name: 'a', v: '-5' },
        { id: 2, name: 'b', v: '9223372036854775807' },
      ],
      format: 'JSONEachRow',
    });
    const scoped = createClient({ url: server.url, username: USER, password: PASSWORD, database: 'shim' });
    try {
      const rs = await scoped.query({ query: 'SELECT id, name, v FROM t WHERE id IN (1, 2) ORDER BY id', format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [
        { id: '1', name: 'a', v: '-5' },
        { id: '2', name: 'b', v: '9223372036854775807' },
      ]);
    } finally {
      await scoped.close();
    }
  });

  it('applies clickhouse_settings to their request only', async () => {
    const setting = async (settings: Record<string, string> | undefined) => {
      const rs = await client.query({
        query: "SELECT value FROM system.settings WHERE name = 'max_block_size'",
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      });
      return ((await rs.json<{ value: string }>())[0] ?? { value: '' }).value;
    };
    const before_ = await setting(undefined);
    assert.equal(await setting({ max_block_size: '1234' }), '1234');
    assert.equal(await setting(undefined), before_, 'the setting is restored after the request');
    assert.notEqual(before_, '1234');
    // A setting that changes results, not just plumbing.
    const rs = await client.query({
      query: 'SELECT count() AS c FROM numbers(10)',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    assert.deepEqual(await rs.json(), [{ c: 10 }]);
  });

  it('turns ClickHouse errors into ClickHouseError with the server code', async () => {
    assert.equal(await codeOf(client.query({ query: 'SELECT * FROM shim.no_such_table', format: 'JSONEachRow' })), '60');
    assert.equal(await codeOf(client.query({ query: 'SELEC 1', format: 'JSONEachRow' })), '62');
    assert.equal(await codeOf(client.command({ query: 'SELECT 1', clickhouse_settings: { no_such_setting_here: 1 } as Record<string, number> })), '115');
    // The session is still usable after errors.
    const rs = await client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ ok: 1 }]);
  });

  it('refuses wrong credentials with AUTHENTICATION_FAILED (516)', async () => {
    const bad = createClient({ url: server.url, username: USER, password: 'wrong' });
    try {
      assert.equal(await codeOf(bad.query({ query: 'SELECT 1', format: 'JSONEachRow' })), '516');
    } finally {
      await bad.close();
    }
    const res = await fetch(`${server.url}/?query=SELECT%201`, { headers: { authorization: `Basic ${Buffer.from(`nobody:${PASSWORD}`).toString('base64')}` } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '516');
    const ok = await fetch(`${server.url}/?query=SELECT%201`, { headers: { 'x-clickhouse-user': USER, 'x-clickhouse-key': PASSWORD } });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '1\n');
  });

  it('reads gzip request bodies and gzips responses when asked', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
    const res = await fetch(`${server.url}/?enable_http_compression=1&default_format=JSONEachRow`, {
      method: 'POST',
      headers: { ...auth, 'content-encoding': 'gzip', 'accept-encoding': 'gzip' },
      body: zlib.gzipSync('SELECT 7 AS seven'),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    // fetch decodes it; the bytes on the wire were gzip (header), the content must be intact.
    assert.equal(await res.text(), '{"seven":7}\n');
    const plain = await fetch(`${server.url}/?default_format=JSONEachRow`, { method: 'POST', headers: { ...auth, 'accept-encoding': 'gzip' }, body: 'SELECT 7 AS seven' });
    assert.equal(plain.headers.get('content-encoding'), null, 'no gzip without enable_http_compression=1');
    assert.equal(await plain.text(), '{"seven":7}\n');
  });

  it('honours insert_deduplication_token: a retried insert is stored once', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: 1000 + i, name: `r${i}`, v: String(i) }));
    const count = async () => {
      const rs = await client.query({ query: 'SELECT count() AS c FROM shim.t WHERE id >= 1000', format: 'JSONEachRow' });
      return Number((await rs.json<{ c: string }>())[0]!.c);
    };
    const insert = (token: string) => client.insert({ table: 'shim.t', values: rows, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: token } });
    await insert('tok-1');
    assert.equal(await count(), 50);
    await insert('tok-1');
    assert.equal(await count(), 50, 'same token: deduplicated');
    await insert('tok-2');
    assert.equal(await count(), 100, 'another token: stored again');
  });

  it('keeps the data across a stop and a restart on the same port', async () => {
    const url = server.url;
    await server.stop();
    await assert.rejects(client.query({ query: 'SELECT 1', format: 'JSONEachRow' }), /ECONNREFUSED|socket hang up|ECONNRESET/);
    await server.start();
    assert.equal(server.url, url);
    const rs = await client.query({ query: 'SELECT count() AS c FROM shim.t WHERE id IN (1, 2)', format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ c: '2' }]);
  });
});
