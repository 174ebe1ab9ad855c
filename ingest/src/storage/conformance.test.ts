// Runs the storage conformance suite (conformance/suite.ts) unchanged against DuckDB, ClickHouse
// in-process (chdb, through @clickhouse/client), and a ClickHouse server when
// PYFLARE_TEST_CLICKHOUSE_URL is set (user/password from PYFLARE_TEST_CLICKHOUSE_USER/_PASSWORD).
import fs from 'node:fs/promises';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { openClickHouse } from '../clickhouse/client.js';
import type { ClickHouseSettings } from '../config.js';
import os from 'node:os';
import { ClickHouseStorage } from './clickhouse/storage.js';
import { storageConformance, type StorageBackend } from './conformance/suite.js';
import { DuckDbStorage } from './duckdb.js';

const makeTempDir = (prefix: string) => fs.mkdtemp(path.join(os.tmpdir(), prefix));

function duckdb(): StorageBackend {
  let root: Promise<string> | null = null;
  const dir = () => (root ??= makeTempDir('pyflare-conf-duck-'));
  return {
    name: 'duckdb',
    open: async (key, opts) => DuckDbStorage.open({ dataDir: path.join(await dir(), key), rollupCompactAfter: opts?.compactAfter }),
    cleanup: async () => {
      if (root) {
        await fs.rm(await root, { recursive: true, force: true });
      }
    },
  };
}

function clickhouse(name: string, base: () => Promise<Omit<ClickHouseSettings, 'database'>>, dropAfter: boolean): StorageBackend {
  // One database per store key; a run-unique prefix keeps runs against a shared server apart.
  const prefix = `pf_conf_${process.pid}_${Date.now().toString(36)}`;
  const used = new Set<string>();
  return {
    name,
    open: async (key) => {
      used.add(key);
      return ClickHouseStorage.open({ settings: { ...(await base()), database: `${prefix}_${key}` } });
    },
    cleanup: async () => {
      if (dropAfter && used.size) {
        const h = await openClickHouse({ ...(await base()), database: 'default' });
        try {
          for (const k of used) {
            await h.client.command({ query: `DROP DATABASE IF EXISTS ${prefix}_${k}` });
          }
        } finally {
          await h.release();
        }
      }
    },
  };
}

storageConformance(duckdb());

let chdbDir: Promise<string> | null = null;
let chdbPath: string | null = null;
storageConformance(
  clickhouse(
    'clickhouse (chdb in-process)',
    async () => {
      chdbPath = await (chdbDir ??= makeTempDir('pyflare-conf-chdb-'));
      return { url: `chdb:${chdbPath}`, username: 'default', password: '', cluster: undefined };
    },
    false
  )
);
// chdb keeps its session until the last handle is released (after each suite's stores close),
// so the directory goes at exit, where only synchronous work still runs.
process.on('exit', () => {
  if (chdbPath) {
    rmSync(chdbPath, { recursive: true, force: true });
  }
});

const serverUrl = process.env.PYFLARE_TEST_CLICKHOUSE_URL;
if (serverUrl) {
  storageConformance(
    clickhouse(
      `clickhouse (server ${serverUrl})`,
      async () => ({
        url: serverUrl,
        username: process.env.PYFLARE_TEST_CLICKHOUSE_USER ?? 'default',
        password: process.env.PYFLARE_TEST_CLICKHOUSE_PASSWORD ?? '',
        cluster: undefined,
      }),
      true
    )
  );
}
