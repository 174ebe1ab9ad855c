// DuckDB-only storage details. The behaviour every backend shares (ingest, search, catalogs,
// API keys, budgets, retention, reopen) is in the conformance suite (conformance/suite.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { normalizeRequest } from '../normalize/index.js';
import { NOW_NS, request, span } from '../testing/otlp.js';
import { makeTempDir } from '../testing/service.js';
import { DuckDbStorage, globToLike } from './duckdb.js';

describe('DuckDbStorage', () => {
  it('treats SQL wildcards in user input literally', () => {
    assert.equal(globToLike('gpt-4o*'), 'gpt-4o%');
    assert.equal(globToLike('a_b%c\\'), 'a\\_b\\%c\\\\');
  });

  it('keeps content that is an attribute value once, and reads it back whole', async () => {
    const dir = await makeTempDir();
    const db = await DuckDbStorage.open({ dataDir: dir });
    try {
      const traceId = 'ab'.repeat(16);
      const prompt = `Summarize: ${'the refund policy says '.repeat(40)}`;
      const { rows } = normalizeRequest(
        request([
          span({ traceId, attrs: { 'openinference.span.kind': 'LLM', 'input.value': prompt, 'output.value': 'Refunds within 30 days.' } }),
          span({ traceId, attrs: { 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'hi', 'gen_ai.completion.0.content': 'hello' } }),
        ]),
        { nowNs: NOW_NS }
      );
      assert.equal(rows.length, 2);
      await db.applyBatch(rows, 1n);
      await db.checkpoint();

      const c = await db.connect();
      const stored = (await c.runAndReadAll('SELECT span_id, input_content, output_content FROM spans')).getRowObjectsJS();
      c.closeSync();
      const byId = new Map(stored.map((r) => [String(r.span_id), r]));
      const first = byId.get(rows[0]!.spanId)!;
      assert.ok(String(first.input_content).length < 40, `a reference, not the ${prompt.length}-character prompt`);
      assert.ok(String(first.output_content).length < 40);
      assert.deepEqual(JSON.parse(byId.get(rows[1]!.spanId)!.input_content as string), [{ role: 'user', content: 'hi' }], 'assembled content is kept as text');

      const trace = await db.getTrace(rows[0]!.traceId);
      const read = new Map(trace.map((r) => [r.spanId, r]));
      assert.equal(read.get(rows[0]!.spanId)!.inputContent, prompt);
      assert.equal(read.get(rows[0]!.spanId)!.outputContent, 'Refunds within 30 days.');
      assert.equal(JSON.parse(read.get(rows[0]!.spanId)!.attributes)['input.value'], prompt, 'the attribute itself is unchanged');
      assert.equal(read.get(rows[1]!.spanId)!.outputContent, rows[1]!.outputContent);
    } finally {
      await db.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
