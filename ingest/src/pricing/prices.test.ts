// Sanity of the bundled table itself: valid rows, known sources, and every prefix resolving to
// its own row (a prefix shadowed by another row would silently never be used).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BUNDLED_PRICES, PRICE_SOURCES, PRICE_TABLE_AS_OF, PriceBook } from './index.js';

describe('bundled price table', () => {
  const book = PriceBook.fromEntries(BUNDLED_PRICES);

  it('is dated and every row names a known source', () => {
    assert.match(PRICE_TABLE_AS_OF, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(book.asOf, PRICE_TABLE_AS_OF);
    for (const row of BUNDLED_PRICES) {
      const id = row.source.split(':')[0] ?? '';
      assert.ok(id in PRICE_SOURCES, `${row.key}: unknown source id ${id}`);
    }
  });

  it('has unique keys and prefixes', () => {
    const keys = BUNDLED_PRICES.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length);
    const prefixes = BUNDLED_PRICES.flatMap((r) => r.match);
    assert.equal(new Set(prefixes).size, prefixes.length);
  });

  it('resolves each prefix to its own row', () => {
    for (const row of BUNDLED_PRICES) {
      for (const prefix of row.match) {
        assert.equal(book.resolve(row.provider, prefix)?.key, row.key, `prefix ${prefix}`);
        assert.equal(book.resolve(null, `${prefix}-2099-01-01`)?.key, row.key, `prefix ${prefix} + date`);
      }
    }
  });

  it('covers the providers the ingest service normalizes', () => {
    const providers = new Set(BUNDLED_PRICES.map((r) => r.provider));
    for (const p of ['openai', 'anthropic', 'google', 'mistral', 'bedrock', 'groq', 'deepseek', 'xai']) {
      assert.ok(providers.has(p), p);
    }
  });

  it('has tiers above their threshold that never get cheaper', () => {
    for (const row of BUNDLED_PRICES) {
      for (const t of row.tiers ?? []) {
        assert.ok(Number(t.input) >= Number(row.input), row.key);
        assert.ok(Number(t.output) >= Number(row.output), row.key);
      }
    }
  });
});
