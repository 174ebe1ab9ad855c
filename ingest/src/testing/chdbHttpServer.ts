// A test stand-in for a ClickHouse server: ClickHouse's HTTP interface (the subset
// @clickhouse/client uses) over one in-process chdb session, so several service processes can
// share one ClickHouse engine on a machine where no server can be installed.
//
// Supported: POST/GET with the SQL in the `query` parameter and/or the body (INSERT data after
// `FORMAT x` in the body), `database`, `query_id`, `default_format`, `param_<name>` query
// parameters, every other parameter as a setting for that request only, basic auth or
// X-ClickHouse-User/-Key, gzip request bodies and responses (enable_http_compression=1), GET
// /ping, and the response headers X-ClickHouse-Query-Id/-Summary/-Format and, on errors,
// X-ClickHouse-Exception-Code with ClickHouse's error text. Requests run one at a time (one
// session), so the per-request SET/restore of settings cannot interleave.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { Session } from 'chdb';
import { Mutex } from '../util/mutex.js';

export interface ChdbHttpServerOptions {
  dir: string;
  port?: number;
  host?: string;
  user?: string;
  password?: string;
}

/** URL parameters that are not settings. */
const NOT_SETTINGS = new Set(['query', 'database', 'query_id', 'default_format', 'session_id', 'session_timeout', 'session_check', 'user', 'password', 'compress', 'decompress', 'wait_end_of_query', 'enable_http_compression']);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function sqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function errorCode(message: string): number {
  const m = /Code: (\d+)/.exec(message);
  return m ? Number(m[1]) : 1000;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', v: '\v', e: '\x1b' };

/** A value in ClickHouse's Escaped (TSV) text form, decoded (how a server reads `param_x`). */
function unescapeParam(v: string): string {
  return v.replace(/\\([\s\S])/g, (_m, c: string) => ESCAPES[c] ?? c);
}

/** `{name:Type}` placeholders of a query: name -> type. */
function paramTypes(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^}]+)\}/g)) {
    out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

const COMPOSITE = /^(?:(?:Nullable|LowCardinality)\()*(?:Array|Map|Tuple)\b/;

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) {
    chunks.push(c as Buffer);
  }
  const raw = Buffer.concat(chunks);
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  return enc === 'gzip' ? zlib.gunzipSync(raw) : enc === 'deflate' ? zlib.inflateSync(raw) : raw;
}

export class ChdbHttpServer {
  private readonly lock = new Mutex();
  private server: http.Server | null = null;
  private session: Session | null = null;
  /** The port of the last listen, reused by a restart (start() after stop()). */
  private port: number | undefined;

  constructor(private readonly o: ChdbHttpServerOptions) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    return `http://127.0.0.1:${a?.port ?? 0}`;
  }

  async start(): Promise<void> {
    if (!this.session) {
      this.session = new Session(this.o.dir);
      // chdb's defaults differ from a server's here; clients (and PyFlare) expect the server's:
      // 64-bit integers quoted in JSON formats.
      this.session.query('SET output_format_json_quote_64bit_integers = 1');
    }
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => {
        if (!res.headersSent) {
          res.writeHead(500);
        }
        res.end(String(e.message));
      });
    });
    // ClickHouse's keep_alive_timeout (10 s): longer than the client's idle_socket_ttl (2.5 s), so
    // the client never reuses a socket the server is closing. stop() cuts idle sockets anyway.
    this.server.keepAliveTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port ?? this.port ?? 0, this.o.host ?? '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening (connections are cut, as when a server goes down); the data stays. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** stop() and close the chdb session. */
  async close(): Promise<void> {
    await this.stop();
    await this.lock.run(async () => {
      this.session?.cleanup();
      this.session = null;
    });
  }

  private authorized(req: http.IncomingMessage, url: URL): boolean {
    const want = { user: this.o.user ?? 'default', password: this.o.password ?? '' };
    let user = req.headers['x-clickhouse-user'] as string | undefined;
    let password = req.headers['x-clickhouse-key'] as string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      user = u;
      password = p.join(':');
    }
    user ??= url.searchParams.get('user') ?? 'default';
    password ??= url.searchParams.get('password') ?? '';
    return user === want.user && password === want.password;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Ok.\n');
      return;
    }
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const headers: Record<string, string> = { 'x-clickhouse-query-id': queryId, 'x-clickhouse-server-display-name': 'chdb-http' };
    const fail = (status: number, message: string) => {
      res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(errorCode(message)) });
      res.end(message.endsWith('\n') ? message : `${message}\n`);
    };
    if (!this.authorized(req, url)) {
      fail(401, 'Code: 516. DB::Exception: default: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)');
      return;
    }
    const body = await readBody(req);
    const q = url.searchParams.get('query');
    const sql = q !== null ? (body.length ? `${q}\n${body.toString('utf8')}` : q) : body.toString('utf8');
    const params: Record<string, string | null> = {};
    const settings: Array<[string, string]> = [];
    const types = paramTypes(sql);
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) {
        // The client sends Escaped text (`\N` = NULL); chdb escapes plain strings itself, so
        // scalars are decoded here. Composite values (Array, Map, Tuple) are SQL-literal text that
        // chdb passes through as long as it holds no backslash (their elements' escapes would
        // be doubled; no PyFlare query binds such values).
        const name = k.slice(6);
        params[name] = v === '\\N' ? null : COMPOSITE.test(types.get(name) ?? '') ? v : unescapeParam(v);
      } else if (!NOT_SETTINGS.has(k) && IDENT.test(k)) {
        settings.push([k, v]);
      }
    }
    const database = url.searchParams.get('database');
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    let out: Buffer;
    let summary: { read_rows: number; read_bytes: number; elapsed_ns: number };
    try {
      ({ out, summary } = await this.lock.run(() => this.run(sql, params, settings, database, format)));
    } catch (e) {
      fail(500, (e as Error).message);
      return;
    }
    headers['x-clickhouse-format'] = format;
    headers['x-clickhouse-summary'] = JSON.stringify({
      read_rows: String(summary.read_rows),
      read_bytes: String(summary.read_bytes),
      written_rows: '0',
      written_bytes: '0',
      total_rows_to_read: '0',
      result_rows: '0',
      result_bytes: String(out.length),
      elapsed_ns: String(summary.elapsed_ns),
    });
    const gzip = url.searchParams.get('enable_http_compression') === '1' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) {
      out = zlib.gzipSync(out);
      headers['content-encoding'] = 'gzip';
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=UTF-8', 'content-length': String(out.length) });
    res.end(out);
  }

  /** One request on the session: its settings SET for the request, then restored. */
  private async run(sql: string, params: Record<string, string | null>, settings: Array<[string, string]>, database: string | null, format: string) {
    const s = this.session!;
    const restore: string[] = [];
    try {
      if (database && IDENT.test(database)) {
        s.query(`USE ${database}`);
      }
      for (const [k, v] of settings) {
        const prev = s.queryBind('SELECT value, changed FROM system.settings WHERE name = {n:String}', { n: k }, 'JSONEachRow').trim();
        if (!prev) {
          throw new Error(`Code: 115. DB::Exception: Unknown setting '${k}'. (UNKNOWN_SETTING)`);
        }
        const p = JSON.parse(prev) as { value: string; changed: number };
        s.query(`SET ${k} = ${sqlString(v)}`);
        restore.push(p.changed ? `SET ${k} = ${sqlString(p.value)}` : `SET ${k} = DEFAULT`);
      }
      const t0 = process.hrtime.bigint();
      const r = Object.keys(params).length ? await s.queryBindAsync(sql, params, { format }) : await s.queryAsync(sql, { format });
      return {
        out: Buffer.from(r.bytes()),
        summary: { read_rows: r.rowsRead, read_bytes: r.bytesRead, elapsed_ns: Number(process.hrtime.bigint() - t0) },
      };
    } finally {
      for (const x of restore.reverse()) {
        try {
          s.query(x);
        } catch {
          // a setting without DEFAULT support keeps its value; nothing depends on it
        }
      }
    }
  }
}
