// Fuzzing of the search language: any input parses or fails with a SearchError whose offset is
// inside the input; a parsed query formats to text that parses back to the same tree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertClearError, fcParams, fuzzAssert, TEST_TIMEOUT_MS, timeBoxed } from '../fuzz/fuzz.js';
import { formatSearch, parseSearch, SearchError } from './parser.js';

const TOKENS = [
  'service:', 'model:', 'status:', 'duration:', 'cost:', 'tokens:', 'kind:', 'attr.user.tier', 'user.id', 'session:', 'name:',
  'checkout', 'gpt-4o*', 'error', 'ok', 'llm', '>', '>=', '<', '<=', '=', '!=', '2s', '150ms', '0.01', '1000', '1e309', '-1',
  'AND', 'OR', 'NOT', 'and', '-', '(', ')', '"', '"free text"', '\\', '*', '?', ':', ' ', ' ', '\t', '\n', '\u0000', '😀', 'é',
];
const queryArb = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join('')), weight: 6 },
  { arbitrary: fc.string({ maxLength: 60 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  // Deep nesting: the parser must fail or succeed quickly, not overflow the stack.
  { arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => `${'('.repeat(n)}a${')'.repeat(n)}`), weight: 1 }
);

/** The tree without source offsets (formatting moves terms). */
function withoutOffsets(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(withoutOffsets);
  }
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'offset').map(([k, x]) => [k, withoutOffsets(x)]));
  }
  return v;
}

describe('fuzz: search language', () => {
  it('parses or fails with a SearchError inside the input; format -> parse is stable', { timeout: TEST_TIMEOUT_MS }, () => {
    fuzzAssert('search-parser', 
      fc.property(queryArb, (q) => {
        let ast: ReturnType<typeof parseSearch>;
        try {
          ast = timeBoxed('parse', () => parseSearch(q));
        } catch (e) {
          assertClearError(e, SearchError, `parse ${JSON.stringify(q.slice(0, 80))}`);
          const se = e as InstanceType<typeof SearchError>;
          assert.ok(Number.isInteger(se.offset) && se.offset >= 0 && se.offset <= q.length, `offset ${se.offset} of ${q.length}`);
          assert.ok(Array.isArray(se.expected));
          return;
        }
        const text = formatSearch(ast);
        const again = timeBoxed('re-parse', () => parseSearch(text));
        assert.deepEqual(withoutOffsets(again), withoutOffsets(ast), `format gave ${JSON.stringify(text)}`);
      }),
      fcParams
    );
  });
});
