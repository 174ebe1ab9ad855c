// DuckDB-only storage details. The behaviour every backend shares (ingest, search, catalogs,
// API keys, budgets, retention, reopen) is in the conformance suite (conformance/suite.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToLike } from './duckdb.js';

describe('DuckDbStorage', () => {
  it('treats SQL wildcards in user input literally', () => {
    assert.equal(globToLike('gpt-4o*'), 'gpt-4o%');
    assert.equal(globToLike('a_b%c\\'), 'a\\_b\\%c\\\\');
  });
});
