// One ClickHouse client per process, shared by the span storage and the drift store. Two kinds
// of URL: http(s):// for a real server or cluster, and chdb:<dir> for the ClickHouse engine
// in-process (npm `chdb`), which is how the conformance suite runs on machines without a server.
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import path from 'node:path';
import type { ClickHouseSettings } from '../config.js';

export type { ClickHouseClient };

export interface ClickHouseHandle {
  client: ClickHouseClient;
  database: string;
  /** Set when tables are created ON CLUSTER as Replicated* + Distributed. */
  cluster: string | undefined;
  /** 'chdb' when the engine runs in this process. */
  transport: 'http' | 'chdb';
  /** Closes the client (and the in-process session for chdb) once every user released it. */
  release(): Promise<void>;
}

interface Shared {
  client: ClickHouseClient;
  users: number;
}
// chdb keeps one native session per directory; opening it twice in a process is not allowed,
// so handles to the same target share one client.
const shared = new Map<string, Shared>();

function targetKey(s: ClickHouseSettings): string {
  return s.url.startsWith('chdb:') ? `chdb:${path.resolve(s.url.slice(5) || '.')}` : `${s.url}|${s.username}`;
}

/**
 * Over HTTP every request's settings are its own; chdb applies them with SET on its one session,
 * so they outlive the statement. A leftover insert_deduplication_token would make the next,
 * unrelated insert look like a retry and drop it silently: every write names the token (empty
 * when it has none).
 */
function resetSessionSettings(client: ClickHouseClient): ClickHouseClient {
  const insert = client.insert.bind(client);
  const command = client.command.bind(client);
  const exec = client.exec.bind(client);
  const fresh = <T extends { clickhouse_settings?: object }>(p: T): T => ({
    ...p,
    clickhouse_settings: { insert_deduplication_token: '', ...p.clickhouse_settings },
  });
  client.insert = ((p: Parameters<typeof insert>[0]) => insert(fresh(p))) as typeof client.insert;
  client.command = (p) => command(fresh(p));
  client.exec = (p) => exec(fresh(p));
  return client;
}

/** Opens (or shares) a client and makes sure the database exists. */
export async function openClickHouse(s: ClickHouseSettings): Promise<ClickHouseHandle> {
  const key = targetKey(s);
  const transport = s.url.startsWith('chdb:') ? 'chdb' : 'http';
  let entry = shared.get(key);
  if (!entry) {
    let client: ClickHouseClient;
    if (transport === 'chdb') {
      // Loaded only when asked for: the native engine is large and optional in production.
      const { createChdbConnection } = await import('chdb/connection');
      client = resetSessionSettings(
        createClient({ connection: createChdbConnection({ path: key.slice(5) }) } as Parameters<typeof createClient>[0])
      );
    } else {
      client = createClient({
        url: s.url,
        username: s.username,
        password: s.password,
        request_timeout: 60_000,
        compression: { request: true, response: true },
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
    }
    entry = { client, users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const e = entry;
  const onCluster = s.cluster ? ` ON CLUSTER ${s.cluster}` : '';
  await e.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${s.database}${onCluster}` });
  let released = false;
  return {
    client: e.client,
    database: s.database,
    cluster: s.cluster,
    transport,
    async release() {
      if (released) {
        return;
      }
      released = true;
      e.users--;
      if (e.users === 0) {
        shared.delete(key);
        await e.client.close();
      }
    },
  };
}
