// The exporter's normalization on the live path: in slices, so the event loop (DuckDB's calls
// back into JS, other requests, health checks) keeps running while a large request is prepared.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServiceMetrics } from '../metrics/registry.js';
import { decodeTraceRequestJson } from '../otlp/json.js';
import { withIntake } from '../testing/intake.js';
import { jsonBody } from '../testing/otlp.js';
import { createExporter } from './exporter.js';

describe('exporter', () => {
  it('normalizes a large request in slices: the event loop runs before it is prepared, and every span is stored', async () => {
    await withIntake({ queueMaxSpans: 100_000, queueMaxBytes: 64 * 1024 * 1024 }, async (intake, db) => {
      let finished = 0;
      const storage = {
        newSpanBatch: () => {
          const b = db.newSpanBatch();
          const finish = b.finish.bind(b);
          b.finish = () => {
            finished++;
            return finish();
          };
          return b;
        },
      };
      const exportFn = createExporter({ intake, storage, metrics: createServiceMetrics(), pricer: null });
      const body = Buffer.from(JSON.stringify(jsonBody(Array.from({ length: 3000 }, (_, i) => ({ name: `call ${i}`, attrs: { 'gen_ai.prompt': 'hello '.repeat(100) } })))));
      // Two requests at once: they are prepared one after the other, and both are stored.
      const both = [body, Buffer.from(body)].map((b) => exportFn(decodeTraceRequestJson(b), 'http', { format: 'json', body: b }));
      const preparedAtFirstTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(finished)));
      assert.equal(preparedAtFirstTurn, 0, 'the event loop ran while the first request was normalized');
      const results = await Promise.all(both);
      assert.deepEqual(
        results.map((r) => r.acceptedSpans),
        [3000, 3000]
      );
      await intake.flush();
      assert.equal((await db.status()).spanCount, 6000);
    });
  });
});
