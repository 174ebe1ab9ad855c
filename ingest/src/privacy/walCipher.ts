// Encryption of logged request bodies when redaction is on. The WAL logs each request body as
// received (replay re-normalizes it), so without this the unredacted prompts and PII would sit
// on disk until the next checkpoint deletes the segment. With a key, the body is sealed with
// AES-256-GCM before it is logged and opened again only in memory, on replay; the key is derived
// (HKDF) from PYFLARE_REDACTION_KEY, which never touches the data directory.
import crypto from 'node:crypto';

const MAGIC = Buffer.from('PFE1');
const IV = 12;
const TAG = 16;
const HEAD = MAGIC.length + IV + TAG;

export class WalCipher {
  private readonly key: Buffer;

  constructor(secret: Buffer | string) {
    const ikm = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
    this.key = Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.from('pyflare-wal'), Buffer.from('wal body aes-256-gcm v1'), 32));
  }

  /** Bytes added by seal(). */
  static readonly overhead = HEAD;

  static isSealed(body: Uint8Array): boolean {
    return body.byteLength >= HEAD && Buffer.from(body.buffer, body.byteOffset, MAGIC.length).equals(MAGIC);
  }

  seal(body: Uint8Array): Buffer {
    const iv = crypto.randomBytes(IV);
    const c = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const out = Buffer.allocUnsafe(HEAD + body.byteLength);
    MAGIC.copy(out, 0);
    iv.copy(out, MAGIC.length);
    const n = c.update(body).copy(out, HEAD);
    c.final();
    c.getAuthTag().copy(out, MAGIC.length + IV);
    if (n !== body.byteLength) {
      throw new Error('WAL body encryption produced an unexpected length');
    }
    return out;
  }

  /** Throws when the key differs from the one that sealed it, or the bytes were changed. */
  open(sealed: Uint8Array): Buffer {
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = crypto.createDecipheriv('aes-256-gcm', this.key, b.subarray(MAGIC.length, MAGIC.length + IV));
    d.setAuthTag(b.subarray(MAGIC.length + IV, HEAD));
    return Buffer.concat([d.update(b.subarray(HEAD)), d.final()]);
  }
}

/** A sealed WAL record that this configuration cannot open: a missing or different key. */
export class WalKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalKeyError';
  }
}

/** The body to decode on replay: opened when sealed, as is when not (logged with redaction off). */
export function openLoggedBody(body: Uint8Array, cipher: WalCipher | null): Uint8Array {
  if (!WalCipher.isSealed(body)) {
    return body;
  }
  if (cipher === null) {
    throw new WalKeyError('WAL record is encrypted (logged with redaction on): set PYFLARE_REDACTION_KEY to replay it');
  }
  try {
    return cipher.open(body);
  } catch (e) {
    throw new WalKeyError(
      `WAL record cannot be opened with this PYFLARE_REDACTION_KEY (was it written with another key?): ${(e as Error).message}`
    );
  }
}
