// TLS for the HTTP listeners (REST, OTLP/HTTP) and the gRPC one, from PEM files. Errors name the
// variable and the file, never file contents (a key file must not end up in a log line).
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** With a CA, clients must present a certificate it signed (mutual TLS). */
  caFile: string | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

async function read(variable: string, file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    throw new Error(`${variable}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export async function loadTls(f: TlsFiles): Promise<TlsMaterial> {
  const m: TlsMaterial = { cert: await read('PYFLARE_TLS_CERT_FILE', f.certFile), key: await read('PYFLARE_TLS_KEY_FILE', f.keyFile) };
  if (f.caFile) {
    m.ca = await read('PYFLARE_TLS_CA_FILE', f.caFile);
  }
  // Fail at start, not at the first handshake, when the pair does not fit.
  try {
    https.createServer({ cert: m.cert, key: m.key, ca: m.ca }).close();
  } catch (e) {
    throw new Error(`PYFLARE_TLS_CERT_FILE/PYFLARE_TLS_KEY_FILE: unusable certificate or key (${(e as { code?: string }).code ?? 'invalid'})`);
  }
  return m;
}

/**
 * A Fastify serverFactory: HTTPS with the material, plain HTTP without. Typed as http.Server
 * because Fastify's listener types follow the factory; an https.Server has the same surface.
 */
export function serverFactory(tls: TlsMaterial | null): (handler: http.RequestListener) => http.Server {
  return (handler) =>
    tls
      ? (https.createServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined }, handler) as unknown as http.Server)
      : http.createServer(handler);
}
