import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, parseSearch, SearchError } from './search.js';
import { traceSearchFrom } from './service.js';

describe('parseSearch', () => {
  it('parses key:value terms, negation, quotes and plain text', () => {
    const p = parseSearch('service:checkout model:gpt-4o* -provider:anthropic kind:LLM "refund flow" tenant.id:"acme corp" retry');
    assert.deepEqual(p.terms, [
      { field: 'service', op: 'eq', value: 'checkout', negate: false },
      { field: 'model', op: 'glob', value: 'gpt-4o*', negate: false },
      { field: 'provider', op: 'eq', value: 'anthropic', negate: true },
      { field: 'spanKind', op: 'eq', value: 'LLM', negate: false },
      { field: 'name', op: 'contains', value: 'refund flow', negate: false },
      { field: 'attr', key: 'tenant.id', op: 'eq', value: 'acme corp', negate: false },
      { field: 'name', op: 'contains', value: 'retry', negate: false },
    ]);
  });

  it('parses status and duration bounds', () => {
    assert.deepEqual(parseSearch('status:error duration:>2s duration:<=1.5m'), {
      terms: [],
      status: 'error',
      minDurationNs: 2_000_000_001n,
      maxDurationNs: 90_000_000_000n,
    });
    assert.equal(parseSearch('-status:error').status, 'ok');
    assert.equal(parseSearch('duration:250').minDurationNs, 250_000_000n);
  });

  it('rejects unknown keys and bad values with a clear message', () => {
    assert.throws(() => parseSearch('colour:red'), (e: unknown) => e instanceof SearchError && /unknown key "colour"/.test(e.message));
    assert.throws(() => parseSearch('status:maybe'), /status must be ok or error/);
    assert.throws(() => parseSearch('kind:robot'), /kind must be one of/);
    assert.throws(() => parseSearch('duration:>soon'), /bad duration/);
    assert.throws(() => parseSearch('service:'), /needs a value/);
  });

  it('parses durations exactly', () => {
    assert.equal(parseDuration('1.5s'), 1_500_000_000n);
    assert.equal(parseDuration('20us'), 20_000n);
    assert.equal(parseDuration('3h'), 10_800_000_000_000n);
  });
});

describe('traceSearchFrom', () => {
  it('combines the query fields with the search string', () => {
    const s = traceSearchFrom(
      {
        search: 'kind:tool duration:>1s',
        serviceName: 'checkout',
        modelId: 'claude-*',
        status: 'error',
        minDurationMs: 500,
        maxDurationMs: 9000,
        sortBy: 'cost',
        limit: 5,
      },
      { from: 1000, to: 2000 }
    );
    assert.equal(s.fromNs, 1_000_000_000n);
    assert.equal(s.toNs, 2_000_999_999n);
    assert.equal(s.status, 'error');
    assert.equal(s.minDurationNs, 1_000_000_001n, 'the stricter bound wins');
    assert.equal(s.maxDurationNs, 9_000_000_000n);
    assert.deepEqual(s.terms.map((t) => t.field), ['spanKind', 'service', 'model']);
    assert.equal(s.sortBy, 'cost');
    assert.equal(s.limit, 5);
  });
});
