// Quarantine of acknowledged requests that storage refuses on their own, every time. Such a
// request (a value no column can hold, a bug in a rollup) would otherwise be retried forever
// and hold back every request queued after it while the full queue refuses all clients. It is
// moved out of the way instead: its body, exactly as logged, goes to <dir>/<seq>.otlp.<ext>
// with a <seq>.json beside it naming the error, so nothing acknowledged is thrown away and the
// request can be sent again once the cause is fixed (docs/troubleshooting.md).
//
// Only errors that belong to the data are quarantined. Out of memory, I/O errors and an
// invalidated database concern every request alike: those keep the request queued.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WalCipher } from '../privacy/walCipher.js';
import { fsyncDir, type BodyFormat } from '../wal/wal.js';

/**
 * Storage errors that say nothing about the request being written. A failed rollup compaction
 * is one: it merges rows stored before, whichever request triggered it.
 */
const ENVIRONMENT = /out of memory|could not allocate|failed to allocate|io error|no space left|disk|database has been invalidated|fatal|interrupt|closed|permission denied|read-only|rollup compaction failed/i;

/** True when retrying the same request alone would fail the same way. */
export function isDataError(message: string): boolean {
  return !ENVIRONMENT.test(message);
}

export interface QuarantinedRequest {
  seq: string;
  format: BodyFormat;
  /** Receive time (ns since the epoch) as logged. */
  receivedNs: string;
  spans: number;
  /** The storage error, as the last attempt reported it. */
  error: string;
  /** When it was quarantined (ISO 8601). */
  quarantinedAt: string;
  /** The body file, relative to the quarantine directory. */
  bodyFile: string;
  /** The body is sealed with the WAL key (PYFLARE_REDACTION_KEY): open it with that key. */
  encrypted: boolean;
}

export class Quarantine {
  constructor(readonly dir: string) {}

  /**
   * Writes the body and its description durably (files and directory fsynced), then returns it.
   * The same request again (a replay after a crash) keeps the files it has; a different one
   * with the same seq never replaces them.
   */
  async put(r: { seq: bigint; format: BodyFormat; receivedNs: bigint; body: Uint8Array; spans: number; error: string }): Promise<QuarantinedRequest> {
    if (!(await exists(this.dir))) {
      await fs.mkdir(this.dir, { recursive: true });
      await fsyncDir(path.dirname(this.dir));
    }
    const base = String(r.seq).padStart(20, '0');
    let name = base;
    for (let k = 2; await exists(path.join(this.dir, `${name}.json`)); k++) {
      const had = JSON.parse(await fs.readFile(path.join(this.dir, `${name}.json`), 'utf8')) as QuarantinedRequest;
      const body = await fs.readFile(path.join(this.dir, had.bodyFile)).catch(() => null);
      if (body !== null && body.equals(r.body)) {
        return had;
      }
      name = `${base}-${k}`;
    }
    const encrypted = WalCipher.isSealed(r.body);
    const bodyFile = `${name}.otlp.${r.format === 'json' ? 'json' : 'pb'}${encrypted ? '.sealed' : ''}`;
    const q: QuarantinedRequest = {
      seq: String(r.seq),
      format: r.format,
      receivedNs: String(r.receivedNs),
      spans: r.spans,
      error: r.error.slice(0, 4096),
      quarantinedAt: new Date().toISOString(),
      bodyFile,
      encrypted,
    };
    await writeDurably(path.join(this.dir, bodyFile), r.body);
    await writeDurably(path.join(this.dir, `${name}.json`), Buffer.from(`${JSON.stringify(q, null, 2)}\n`));
    await fsyncDir(this.dir);
    return q;
  }

  /** The quarantined requests, oldest first. */
  async list(): Promise<QuarantinedRequest[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: QuarantinedRequest[] = [];
    // <seq>.json, then <seq>-2.json, ... (a plain sort puts "-" before ".").
    const order = (n: string) => {
      const m = /^(\d{20})(?:-(\d+))?\.json$/.exec(n)!;
      return `${m[1]}.${(m[2] ?? '1').padStart(6, '0')}`;
    };
    const files = names.filter((x) => /^\d{20}(-\d+)?\.json$/.test(x)).sort((a, b) => (order(a) < order(b) ? -1 : 1));
    for (const n of files) {
      out.push(JSON.parse(await fs.readFile(path.join(this.dir, n), 'utf8')) as QuarantinedRequest);
    }
    return out;
  }
}

const exists = (p: string): Promise<boolean> => fs.access(p).then(
  () => true,
  () => false
);

async function writeDurably(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const h = await fs.open(tmp, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, file);
}
