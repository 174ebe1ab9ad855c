// Audit log of erasure (GDPR) requests: one JSON line per deletion in <dataDir>/audit/
// deletions.jsonl, appended and fsynced before the request is answered. It records who asked,
// when, and how much went, but not the ids themselves (that would keep the personal data the
// request erased): the ids are stored as keyed hashes, enough to answer "was X deleted?".
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Mutex } from '../util/mutex.js';

export interface DeletionAudit {
  id: string;
  at: string;
  /** API key id of the admin who asked. */
  requestedBy: string;
  /** Keyed hashes (`sha256:` + 32 hex) of the ids asked for. */
  userIdHash: string | null;
  sessionIdHash: string | null;
  deletedSpans: number;
  reason: string | null;
}

export class AuditLog {
  private readonly file: string;
  private readonly lock = new Mutex();

  constructor(
    dataDir: string,
    private readonly salt: string
  ) {
    this.file = path.join(dataDir, 'audit', 'deletions.jsonl');
  }

  hashId(v: string): string {
    return `sha256:${crypto.createHash('sha256').update(this.salt).update('\u0000').update(v).digest('hex').slice(0, 32)}`;
  }

  async append(rec: Omit<DeletionAudit, 'id' | 'at'>): Promise<DeletionAudit> {
    const full: DeletionAudit = { id: crypto.randomUUID(), at: new Date().toISOString(), ...rec };
    await this.lock.run(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const h = await fs.open(this.file, 'a', 0o600);
      try {
        await h.write(`${JSON.stringify(full)}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
    });
    return full;
  }

  async list(): Promise<DeletionAudit[]> {
    const text = await fs.readFile(this.file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as DeletionAudit];
        } catch {
          return [];
        }
      });
  }

  /** Retention of the audit itself: drops records older than `days` (0 keeps all). */
  async prune(days: number, now = Date.now()): Promise<number> {
    if (days <= 0) {
      return 0;
    }
    return this.lock.run(async () => {
      const all = await this.listUnlocked();
      const cutoff = now - days * 86_400_000;
      const keep = all.filter((r) => Date.parse(r.at) >= cutoff);
      if (keep.length === all.length) {
        return 0;
      }
      const tmp = `${this.file}.tmp`;
      await fs.writeFile(tmp, keep.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
      await fs.rename(tmp, this.file);
      return all.length - keep.length;
    });
  }

  private listUnlocked(): Promise<DeletionAudit[]> {
    return this.list();
  }
}
