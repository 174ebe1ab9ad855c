// API keys: stored as sha256 hashes with scopes (table api_keys); compared in constant time.
// The bootstrap key from PYFLARE_API_KEY is (re)written at start with every scope.
import crypto from 'node:crypto';
import { AuthError } from '../errors.js';
import { SCOPES, type ApiKeyRecord, type Scope, type Storage } from '../storage/types.js';

export const BOOTSTRAP_KEY_ID = 'bootstrap';

export function hashKey(key: string): Buffer {
  return crypto.createHash('sha256').update(key, 'utf8').digest();
}

/** The key of a request: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const auth = first(headers.authorization);
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) {
      return m[1]!.trim();
    }
  }
  const x = first(headers['x-api-key']);
  return x ? x.trim() : undefined;
}

export interface Principal {
  keyId: string;
  scopes: readonly Scope[];
}

export interface AuthLogger {
  warn(obj: object, msg: string): void;
}

export class Auth {
  private keys: Array<{ id: string; hash: Buffer; scopes: readonly Scope[] }> = [];

  private constructor(
    private readonly storage: Storage,
    readonly disabled: boolean
  ) {}

  static async create(storage: Storage, opts: { bootstrapKey?: string; disabled: boolean; log: AuthLogger }): Promise<Auth> {
    const a = new Auth(storage, opts.disabled);
    if (opts.disabled) {
      opts.log.warn(
        { PYFLARE_AUTH_DISABLED: true },
        'AUTHENTICATION IS DISABLED (PYFLARE_AUTH_DISABLED=true): anyone who can reach the ports can write and read all data. Development use only.'
      );
    }
    if (opts.bootstrapKey) {
      await storage.putApiKey({
        id: BOOTSTRAP_KEY_ID,
        name: 'bootstrap (PYFLARE_API_KEY)',
        keyHash: hashKey(opts.bootstrapKey).toString('hex'),
        scopes: [...SCOPES],
        createdAt: new Date(),
      });
    }
    await a.refresh();
    if (!opts.disabled && a.keys.length === 0) {
      opts.log.warn({}, 'no API keys exist and PYFLARE_API_KEY is not set: every request will be refused (401)');
    }
    return a;
  }

  async refresh(): Promise<void> {
    const recs = await this.storage.listApiKeys();
    this.keys = recs.map((r) => ({ id: r.id, hash: Buffer.from(r.keyHash, 'hex'), scopes: r.scopes }));
  }

  /** Who presents `key`; throws AuthError 401 (no/unknown key) or 403 (scope missing). */
  authorize(key: string | undefined, scope: Scope): Principal {
    if (this.disabled) {
      return { keyId: 'anonymous', scopes: SCOPES };
    }
    if (!key) {
      throw new AuthError(401, 'missing API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"');
    }
    const h = hashKey(key);
    let found: { id: string; scopes: readonly Scope[] } | null = null;
    // Compare with every key, without stopping early, so timing does not reveal which matched.
    for (const k of this.keys) {
      if (k.hash.length === h.length && crypto.timingSafeEqual(k.hash, h) && found === null) {
        found = k;
      }
    }
    if (!found) {
      throw new AuthError(401, 'unknown API key');
    }
    if (!found.scopes.includes(scope)) {
      throw new AuthError(403, `API key "${found.id}" lacks the "${scope}" scope (has: ${found.scopes.join(', ') || 'none'})`);
    }
    return { keyId: found.id, scopes: found.scopes };
  }

  /** Creates a key; the clear key is returned once and never stored. */
  async createKey(name: string, scopes: Scope[]): Promise<{ id: string; key: string; record: ApiKeyRecord }> {
    const key = `pfk_${crypto.randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: crypto.randomUUID(),
      name,
      keyHash: hashKey(key).toString('hex'),
      scopes: [...new Set(scopes)],
      createdAt: new Date(),
    };
    await this.storage.putApiKey(record);
    await this.refresh();
    return { id: record.id, key, record };
  }

  async listKeys(): Promise<Array<Omit<ApiKeyRecord, 'keyHash'>>> {
    const recs = await this.storage.listApiKeys();
    return recs.map(({ keyHash: _h, ...rest }) => rest);
  }

  async deleteKey(id: string): Promise<boolean> {
    const ok = await this.storage.deleteApiKey(id);
    await this.refresh();
    return ok;
  }
}
