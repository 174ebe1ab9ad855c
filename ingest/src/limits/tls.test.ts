// TLS on every listener, with a self-signed certificate made by the openssl CLI for the test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadConfig } from '../config.js';
import { TRACE_EXPORT_PATH } from '../otlp/grpc.js';
import { jsonBody } from '../testing/otlp.js';
import { makeTempDir, startTestService, TEST_API_KEY } from '../testing/service.js';
import { loadTls } from './tls.js';

async function selfSigned(dir: string): Promise<{ certFile: string; keyFile: string; cert: Buffer }> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { certFile, keyFile, cert: await fs.readFile(certFile) };
}

function httpsRequest(url: string, ca: Buffer, method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, ca, headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS listeners', () => {
  it('REST, OTLP/HTTP and gRPC speak TLS with the configured certificate; plain TCP is refused', async () => {
    const dir = await makeTempDir('pyflare-tls-');
    const { certFile, keyFile, cert } = await selfSigned(dir);
    const svc = await startTestService({ tls: { certFile, keyFile, caFile: undefined } });
    try {
      const st = await httpsRequest(`https://127.0.0.1:${svc.service.httpPort}/api/v1/status`, cert, 'GET');
      assert.equal(st.status, 200, st.text);
      const ex = await httpsRequest(`https://127.0.0.1:${svc.service.otlpHttpPort}/v1/traces`, cert, 'POST', JSON.stringify(jsonBody([{}])));
      assert.equal(ex.status, 200, ex.text);

      // An untrusted certificate is refused by a verifying client (the test can fail).
      await assert.rejects(httpsRequest(`https://127.0.0.1:${svc.service.httpPort}/healthz`, Buffer.from(''), 'GET').then(() => undefined, (e: Error) => Promise.reject(e)));

      // Plain HTTP on the TLS port gets no HTTP answer.
      const plain = await new Promise<string>((resolve) => {
        const s = net.connect(svc.service.httpPort, '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
        let t = '';
        s.on('data', (d) => (t += d.toString('latin1')));
        s.on('close', () => resolve(t));
        s.on('error', () => resolve(t));
        setTimeout(() => s.destroy(), 2000);
      });
      assert.doesNotMatch(plain, /HTTP\/1\.1 200/);

      const client = new grpc.Client(`127.0.0.1:${svc.service.otlpGrpcPort}`, grpc.credentials.createSsl(cert), {
        'grpc.ssl_target_name_override': 'localhost',
      });
      try {
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${TEST_API_KEY}`);
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          client.makeUnaryRequest(TRACE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), md, (e) => resolve(e))
        );
        assert.equal(err, null, err?.message);
      } finally {
        client.close();
      }
      const insecure = new grpc.Client(`127.0.0.1:${svc.service.otlpGrpcPort}`, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          insecure.makeUnaryRequest(TRACE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + 3000 }, (e) => resolve(e))
        );
        assert.ok(err !== null && err.code !== grpc.status.OK);
      } finally {
        insecure.close();
      }
    } finally {
      await svc.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('configuration: both files or neither; unreadable or mismatched files fail at start without their contents', async () => {
    assert.throws(() => loadConfig({ PYFLARE_TLS_CERT_FILE: '/x.pem' }), /PYFLARE_TLS_CERT_FILE: set together with PYFLARE_TLS_KEY_FILE/);
    assert.throws(() => loadConfig({ PYFLARE_TLS_CA_FILE: '/ca.pem' }), /PYFLARE_TLS_CA_FILE/);
    const dir = await makeTempDir('pyflare-tls-');
    try {
      const { certFile, keyFile } = await selfSigned(dir);
      await assert.rejects(loadTls({ certFile, keyFile: path.join(dir, 'missing.pem'), caFile: undefined }), /PYFLARE_TLS_KEY_FILE: cannot read .*missing\.pem: ENOENT/);
      const other = path.join(dir, 'other');
      await fs.mkdir(other);
      const b = await selfSigned(other);
      const key = await fs.readFile(b.keyFile, 'utf8');
      await assert.rejects(loadTls({ certFile, keyFile: b.keyFile, caFile: undefined }), (e: Error) => /unusable certificate or key/.test(e.message) && !e.message.includes(key.slice(40, 80)));
      const ok = await loadTls({ certFile, keyFile, caFile: undefined });
      assert.ok(ok.cert.length > 0);
      assert.ok(keyFile);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
