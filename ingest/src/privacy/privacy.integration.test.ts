// Redaction in the running service: what DuckDB stores and what the WAL holds on disk, and the
// replay of encrypted WAL records after a crash.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { hex, jsonBody } from '../testing/otlp.js';
import { getJson, makeTempDir, postJson, startTestService } from '../testing/service.js';

const privacy = { enabled: true, mode: 'mask' as const, policyFile: undefined, key: 'integration-key-0123456789', dropContent: false };
const PII = ['alice@example.com', '4111 1111 1111 1111', 'sk-proj-abcdefghijklmnopqrstuvwx'];

async function walBytes(dir: string): Promise<Buffer> {
  const files = await fs.readdir(path.join(dir, 'wal')).catch(() => []);
  return Buffer.concat(await Promise.all(files.map((f) => fs.readFile(path.join(dir, 'wal', f)))));
}

describe('redaction in the service', () => {
  it('stores redacted spans, keeps no PII in the WAL, and replays the encrypted WAL', async () => {
    const svc = await startTestService({ privacy });
    const traceId = hex(16);
    let walCopy: string;
    try {
      const body = jsonBody([
        {
          traceId,
          name: 'chat',
          attrs: { 'input.value': `mail ${PII[0]} card ${PII[1]}`, 'app.note': `key ${PII[2]}`, 'gen_ai.request.model': 'gpt-4o' },
        },
      ]);
      const res = await postJson(`${svc.otlpUrl}/v1/traces`, body);
      assert.equal(res.status, 200);
      // Acknowledged = in the WAL: the raw request is there now, and must be ciphertext.
      const wal = await walBytes(svc.dir);
      assert.ok(wal.length > 0);
      for (const p of PII) {
        assert.ok(!wal.includes(Buffer.from(p)), `WAL holds ${p}`);
      }
      walCopy = await makeTempDir();
      await fs.cp(path.join(svc.dir, 'wal'), path.join(walCopy, 'wal'), { recursive: true });
      await svc.service.intake.flush();
      const t = await getJson<{ spans: Array<Record<string, unknown>> }>(`${svc.apiUrl}/api/v1/traces/${traceId}`);
      assert.equal(t.status, 200);
      const text = JSON.stringify(t.body);
      for (const p of PII) {
        assert.ok(!text.includes(p), `stored span holds ${p}`);
      }
      assert.match(text, /\[REDACTED:email\]/);
    } finally {
      await svc.stop();
    }

    // A "crashed" data dir: only the WAL, DuckDB never saw the batch. Replay must decrypt it.
    const replayed = await startTestService({ privacy }, { dir: walCopy });
    try {
      const t = await getJson<{ spans: Array<Record<string, unknown>> }>(`${replayed.apiUrl}/api/v1/traces/${traceId}`);
      assert.equal(t.status, 200);
      assert.equal(t.body.spans.length, 1);
      assert.match(JSON.stringify(t.body), /\[REDACTED:card\]/);
    } finally {
      await replayed.stop();
    }
  });
});
