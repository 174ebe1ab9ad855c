import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { makeTempDir } from '../testing/service.js';
import { DB_FILE, DuckDbStorage } from './duckdb.js';
import { CHUNK_ROWS, HOLD_BODY_BYTES, HOLD_ROWS, idleChunksFor, packHeld, type ChunkPool } from './spanChunks.js';
import type { SpanRow } from './types.js';

let dir: string;
before(async () => {
  dir = await makeTempDir('pyflare-chunks-');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** Rows that hit every encoding case: inline (<= 12 bytes) and long strings, non-ASCII, nulls, big numbers. */
function row(i: number, service: string): SpanRow {
  const odd = i % 2 === 1;
  return {
    // The first 16 digits (the trace key) vary, and are >= 2^63 for odd traces.
    traceId: pick(['f', '0'], i >> 3) + hex((i >> 3) * 2654435761, 15) + hex(i >> 3, 16),
    spanId: hex(i + 1, 16),
    parentSpanId: i % 8 === 0 ? '' : hex((i & ~7) + 1, 16),
    traceState: pick(['', 'k=v', 'vendor=' + 'x'.repeat(20)], i),
    name: pick(['op', 'exactly12chr', 'thirteen-char', 'naïve', 'ünïcödé-long-name', '😀', ''], i),
    kind: pick(['internal', 'client', 'server'], i),
    service,
    scopeName: 'scope',
    scopeVersion: '1.0',
    startNs: 1_768_478_400_123_456_789n + BigInt(i),
    endNs: 1_768_478_400_123_456_789n + BigInt(i) * 2n,
    durationNs: BigInt(i),
    statusCode: (i % 3) as 0 | 1 | 2,
    statusMessage: odd ? '' : 'upstream 429: rate limited',
    spanKind: pick(['llm', 'tool', 'span'], i),
    provider: odd ? null : pick(['openai', 'azure.ai.openai', 'é'], i),
    requestModel: odd ? null : 'gpt-4o-2024-08-06',
    responseModel: i % 5 === 0 ? null : 'gpt-4o',
    operation: odd ? 'chat' : null,
    inputTokens: odd ? null : i * 1000,
    outputTokens: pick([null, 0, 4294967296, 9007199254740991], i),
    cacheReadTokens: i % 4 === 0 ? 12 : null,
    cacheWriteTokens: null,
    reasoningTokens: 4294967295,
    costMicros: pick([null, 1, 123_456_789_012, -5], i),
    costSource: odd ? null : 'computed',
    priceKey: odd ? null : 'openai/gpt-4o',
    sessionId: pick([null, 'conv-1', 'a-much-longer-session-id'], i),
    userId: null,
    agentName: null,
    toolName: odd ? 'refund' : null,
    finishReasons: pick([[], ['stop'], ['length', 'a-long-finish-reason-value']], i),
    inputContent: odd ? null : `prompt ${i} `.repeat(i % 50),
    // Long text (256+ characters goes over as encoded bytes) with 2-, 3- and 4-byte characters.
    outputContent: odd ? pick(['ok', 'réponse 😀 回答 '.repeat(30)], i >> 1) : null,
    attributes: JSON.stringify({ i, s: 'x'.repeat(i % 40), t: i % 3 === 0 ? 'é😀中'.repeat(60 + (i % 7)) : '' }),
    resourceAttributes: JSON.stringify({ 'service.name': service }),
    events: i % 7 === 0 ? '[{"name":"e"}]' : '[]',
    links: '[]',
    truncated: i % 11 === 0,
  };
}

describe('span chunks', () => {
  it('store every column exactly, across chunk boundaries and with constant columns', async () => {
    const db = await DuckDbStorage.open({ dataDir: dir });
    const rows: SpanRow[] = [];
    // One batch with a single service (constant vectors), one mixing services, one spanning chunks.
    for (let i = 0; i < 300; i++) {rows.push(row(i, 'support-agent'));}
    for (let i = 300; i < 600; i++) {rows.push(row(i, i % 2 ? 'svc-a' : 'a-service-with-a-long-name'));}
    for (let i = 600; i < 600 + CHUNK_ROWS + 100; i++) {rows.push(row(i, 'é-service'));}
    await db.applyBatch(rows.slice(0, 300), 1n);
    await db.applyBatch(rows.slice(300, 600), 2n);
    await db.applyBatch(rows.slice(600), 3n);
    // Several small batches in one apply, with constant columns that agree, that differ, and
    // that are constant in only some: as chunks of their own (large requests), merged into
    // shared output chunks by the scan; and as held rows (small requests), which the apply packs.
    const services = ['svc-x', 'svc-x', 'svc-y', 'svc-x', 'svc-z'];
    for (const [seq, bodyBytes] of [[4n, Infinity], [5n, HOLD_BODY_BYTES - 1]] as const) {
      const small: SpanRow[] = [];
      const batches = services.map((svc, b) => {
        const builder = db.newSpanBatch(bodyBytes);
        // 150 + b rows: the row patterns (every 2nd, 3rd, 5th... row) shift from batch to batch.
        for (let i = 0; i < 150 + b; i++) {
          const r = row(Number(seq) * 1000 + b * 160 + i, b === 3 && i % 2 ? 'svc-mixed' : svc);
          small.push(r);
          builder.add(r);
        }
        return builder.finish();
      });
      const held = bodyBytes < HOLD_BODY_BYTES;
      assert.ok(batches.every((b, k) => b.spans.chunks.length === (held ? 0 : 1) && b.spans.held.length === (held ? 150 + k : 0)));
      await db.applyPrepared(batches, seq);
      for (const b of batches) {
        b.spans.release();
      }
      rows.push(...small);
    }
    assert.equal(await db.appliedSeq(), 5n);
    await db.close();

    const inst = await DuckDBInstance.create(`${dir}/${DB_FILE}`);
    const c = await inst.connect();
    const read = (await c.runAndReadAll('SELECT * FROM spans ORDER BY start_ns')).getRowObjectsJS();
    c.closeSync();
    inst.closeSync();
    assert.equal(read.length, rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const got = read[i]!;
      const want: Record<string, unknown> = {
        trace_id: r.traceId,
        span_id: r.spanId,
        parent_span_id: r.parentSpanId,
        trace_state: r.traceState,
        name: r.name,
        kind: r.kind,
        service: r.service,
        scope_name: r.scopeName,
        scope_version: r.scopeVersion,
        start_ns: r.startNs,
        end_ns: r.endNs,
        duration_ns: r.durationNs,
        status_code: r.statusCode,
        status_message: r.statusMessage,
        span_kind: r.spanKind,
        provider: r.provider,
        request_model: r.requestModel,
        response_model: r.responseModel,
        operation: r.operation,
        input_tokens: r.inputTokens === null ? null : BigInt(r.inputTokens),
        output_tokens: r.outputTokens === null ? null : BigInt(r.outputTokens),
        cache_read_tokens: r.cacheReadTokens === null ? null : BigInt(r.cacheReadTokens),
        cache_write_tokens: null,
        reasoning_tokens: BigInt(r.reasoningTokens!),
        cost_micros: r.costMicros === null ? null : BigInt(r.costMicros),
        cost_source: r.costSource,
        price_key: r.priceKey,
        session_id: r.sessionId,
        user_id: null,
        agent_name: null,
        tool_name: r.toolName,
        finish_reasons: r.finishReasons,
        input_content: r.inputContent,
        output_content: r.outputContent,
        attributes: r.attributes,
        resource_attributes: r.resourceAttributes,
        events: r.events,
        links: r.links,
        truncated: r.truncated,
        // Computed by the insert: the id's first 64 bits, which the trace lookup index holds.
        trace_key: BigInt(`0x${r.traceId.slice(0, 16)}`),
      };
      assert.deepEqual(got, want, `row ${i}`);
    }
  });

  it('hold the rows of small requests until the apply packs them, while another batch is being filled; keep few idle chunks', async () => {
    const sub = await makeTempDir('pyflare-chunks-hold-');
    const db = await DuckDbStorage.open({ dataDir: sub });
    try {
      const pool = (db as unknown as { chunkPool: ChunkPool }).chunkPool;
      // A small request's batch grown past HOLD_ROWS, left half filled (as between two normalization slices).
      const large = db.newSpanBatch(1000);
      for (let i = 0; i < HOLD_ROWS + 44; i++) {
        large.add(row(i, 'svc-large'));
      }
      // The normalizer hands every span over in one reused row object: held rows are copies.
      const reused = row(10_000, 'svc-small');
      const small = Array.from({ length: 1000 }, (_, k) => {
        const b = db.newSpanBatch(1000);
        reused.spanId = hex(10_000 + k, 16);
        reused.startNs = 1_768_478_500_000_000_000n + BigInt(k);
        b.add(reused);
        return b.finish();
      });
      assert.ok(small.every((b) => b.spans.chunks.length === 0 && b.spans.held.length === 1), 'one-span batches take no chunk');
      await db.applyPrepared(small, 1n);
      small.forEach((b) => b.spans.release());
      large.add(row(HOLD_ROWS + 44, 'svc-large'));
      const big = large.finish();
      assert.ok(big.spans.chunks.length === 1 && big.spans.held.length === 0, 'a batch past HOLD_ROWS goes to a chunk, its first rows too');
      await db.applyPrepared([big], 2n);
      big.spans.release();
      // A larger request goes straight into a chunk, however few its spans.
      const direct = db.newSpanBatch(HOLD_BODY_BYTES);
      direct.add(row(900, 'svc-direct'));
      const directBatch = direct.finish();
      assert.ok(directBatch.spans.chunks.length === 1 && directBatch.spans.held.length === 0);
      directBatch.spans.release();
      const c = await db.connect();
      try {
        const [got] = (await c.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT span_id) AS ids, count(*) FILTER (WHERE service = 'svc-small') AS small FROM spans`)).getRowObjectsJS();
        assert.deepEqual(got, { n: 1000n + BigInt(HOLD_ROWS + 45), ids: 1000n + BigInt(HOLD_ROWS + 45), small: 1000n });
      } finally {
        c.closeSync();
      }
      // Packing many held rows lets the event loop run in between (the acknowledgements wait for it).
      const many = Array.from({ length: 100 }, (_, k) => {
        const b = db.newSpanBatch(1000);
        for (let i = 0; i < 200; i++) {
          b.add(row(40_000 + k * 200 + i, 'svc-many'));
        }
        return b.finish();
      });
      let ticked = false;
      const packing = packHeld(pool, many);
      setImmediate(() => (ticked = true));
      const packed = await packing;
      assert.ok(ticked, 'packing 20,000 rows yielded to the event loop');
      assert.equal(packed?.rows, 20_000);
      packed?.release();
      // A held row that fails to pack fails its apply, and only that one: the packing staging is freed.
      const bad = db.newSpanBatch(1000);
      bad.add({ ...row(950, 'svc-bad'), events: null as unknown as string });
      const badBatch = bad.finish();
      await assert.rejects(db.applyPrepared([badBatch], 3n));
      badBatch.spans.release();
      const good = db.newSpanBatch(1000);
      good.add(row(951, 'svc-good'));
      const goodBatch = good.finish();
      await db.applyPrepared([goodBatch], 3n);
      goodBatch.spans.release();
      assert.equal((await db.status()).spanCount, 1000 + HOLD_ROWS + 45 + 1);
      // After a burst of large batches at once, the pool keeps at most 160 chunks (~1.1 MB each once full).
      const burst = Array.from({ length: 200 }, (_, k) => {
        const b = db.newSpanBatch();
        for (let i = 0; i <= HOLD_ROWS; i++) {
          b.add(row(20_000 + k * 300 + i, 'svc-burst'));
        }
        return b.finish();
      });
      assert.ok(burst.every((b) => b.spans.chunks.length === 1));
      burst.forEach((b) => b.spans.release());
      assert.equal(pool.idleCount, 160);
      // 160 is what the default intake queue (16 MiB) can hold of requests that take a chunk.
      assert.equal(idleChunksFor(16 * 1024 * 1024), 160);
      assert.equal(idleChunksFor(64 * 1024 * 1024), 544);
    } finally {
      await db.close();
      await fs.rm(sub, { recursive: true, force: true });
    }
  });
});
