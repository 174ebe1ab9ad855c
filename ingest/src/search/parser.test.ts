import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Params, compileSearch, rollupCanFilter } from '../storage/searchSql.js';
import { formatSearch, parseDurationNs, parseSearch, parseUsdMicros, SearchError, searchValueList, tokenize, validateSearch, type SearchExpr } from './parser.js';

const fmt = (s: string) => formatSearch(parseSearch(s));

function fails(input: string, offset: number, detail: RegExp, expected?: string): void {
  assert.throws(
    () => parseSearch(input),
    (e: unknown) => {
      assert.ok(e instanceof SearchError, String(e));
      assert.equal(e.offset, offset, `offset of ${input}: ${e.message}`);
      assert.match(e.detail, detail);
      if (expected !== undefined) {
        assert.ok(e.expected.includes(expected), `${e.expected.join('|')} has ${expected}`);
      }
      return true;
    }
  );
}

describe('search tokenizer', () => {
  it('splits words, quoted strings, parens, keywords and minus', () => {
    const toks = tokenize('service:"a b" (x OR -y) NOT z and');
    assert.deepEqual(
      toks.map((t) => [t.type, t.value, t.start]),
      [
        ['word', 'service:', 0],
        ['string', 'a b', 8],
        ['lparen', '(', 14],
        ['word', 'x', 15],
        ['or', 'OR', 17],
        ['minus', '-', 20],
        ['word', 'y', 21],
        ['rparen', ')', 22],
        ['not', 'NOT', 24],
        ['word', 'z', 28],
        ['word', 'and', 30],
        ['eof', '', 33],
      ]
    );
    assert.equal(tokenize('"a \\"q\\" \\\\"')[0]!.value, 'a "q" \\');
  });
});

describe('search parser', () => {
  it('parses the documented example with implicit AND', () => {
    const e = parseSearch('service:checkout model:gpt-4o* status:error duration:>2s cost:>0.01 tokens:>=1000 kind:llm attr.user.tier=gold "free text"');
    assert.equal(e?.type, 'and');
    assert.equal(
      formatSearch(e),
      '(service:checkout AND model:gpt-4o* AND status:error AND duration:>2000000000ns AND cost:>0.010000 AND tokens:>=1000 AND kind:llm AND attr.user.tier=gold AND name:"free text")'
    );
  });

  it('gives OR lower precedence than AND, NOT/- the highest, and honours parentheses', () => {
    assert.equal(fmt('a b OR c'), '((name:a AND name:b) OR name:c)');
    assert.equal(fmt('a AND (b OR c)'), '(name:a AND (name:b OR name:c))');
    assert.equal(fmt('NOT a b'), '(NOT name:a AND name:b)');
    assert.equal(fmt('-service:x -(a OR b)'), '(NOT service:x AND NOT (name:a OR name:b))');
    assert.equal(fmt('NOT NOT a'), 'NOT NOT name:a');
    assert.equal(fmt('a OR b OR c'), '(name:a OR name:b OR name:c)');
    assert.equal(parseSearch('   '), null);
  });

  it('parses comparisons, units and attribute forms', () => {
    assert.equal(fmt('duration:1.5m'), 'duration:>=90000000000ns');
    assert.equal(fmt('duration<=250'), 'duration:<=250000000ns');
    assert.equal(fmt('cost:$0.5'), 'cost:>=0.500000');
    assert.equal(fmt('tokens:>1.5k'), 'tokens:>1500');
    assert.equal(fmt('attr.llm.temperature>0.5'), 'attr.llm.temperature:>0.5');
    assert.equal(fmt('tenant.id:"acme corp"'), 'attr.tenant.id="acme corp"');
    assert.equal(fmt('ATTR.Mixed.Case=X'), 'attr.Mixed.Case=X');
    assert.equal(fmt('name:"a:b" "url:http://x"'), '(name:"a:b" AND name:"url:http://x")');
  });

  it('parses exact durations and USD amounts', () => {
    assert.equal(parseDurationNs('20us'), 20_000n);
    assert.equal(parseDurationNs('3h'), 10_800_000_000_000n);
    assert.equal(parseDurationNs('0.0000001ms'), 0n);
    assert.equal(parseUsdMicros('0.0000015'), 2n, 'rounded half up to a micro');
    assert.equal(parseUsdMicros('12'), 12_000_000n);
  });

  it('reports errors with offset and expectation', () => {
    fails('service:', 8, /"service" needs a value/, 'value');
    fails('colour:red', 0, /unknown key "colour"/, 'service');
    fails('(a OR b', 7, /missing "\)"/, '")"');
    fails('a OR', 4, /unexpected end of input/, 'term');
    fails('a )', 2, /unexpected "\)"/, 'end of input');
    fails('status:maybe', 7, /status must be ok or error/, 'ok');
    fails('kind:robot', 5, /kind must be one of/, 'llm');
    fails('duration:>soon', 10, /bad duration "soon"/);
    fails('cost:lots', 5, /bad cost/);
    fails('tokens:-3', 7, /bad token count/);
    // Stored values are 64-bit: larger bounds are refused, not wrapped or overflowed.
    fails('duration:>2562048h', 10, /duration "2562048h" is too large/, 'at most 2562047h');
    fails(`cost:>${'9'.repeat(40)}`, 6, /cost ".*" is too large/);
    fails('tokens:<9223372036854775808', 8, /token count "9223372036854775808" is too large/);
    fails('service:>x', 8, /takes no comparison/);
    fails('attr.x>abc', 7, /needs a number/);
    fails('x "unterminated', 2, /unterminated/);
    fails('AND a', 0, /unexpected "AND"/, 'term');
    const e = (() => {
      try {
        parseSearch('(a OR b');
      } catch (err) {
        return err as SearchError;
      }
    })();
    assert.equal(e!.message, 'search: missing ")" at offset 7 (expected ")", AND, OR, term, "(", NOT)');
  });
});

describe('search value lists and the shared parser', () => {
  it('reads key:(a OR b) as the same key ORed, as multi-value variables expand', () => {
    assert.equal(fmt('model:(gpt-4o OR "claude 3")'), '(model:gpt-4o OR model:"claude 3")');
    assert.equal(fmt('-service:(a OR b) status:error'), '(NOT (service:a OR service:b) AND status:error)');
    assert.equal(fmt('duration:>(1s OR 2s)'), '(duration:>1000000000ns OR duration:>2000000000ns)');
    assert.equal(fmt('attr.tier=(gold)'), 'attr.tier=gold');
    assert.equal(fmt(`model:${searchValueList(['a b', 'OR', '-x', 'q"'])}`), '(model:"a b" OR model:"OR" OR model:"-x" OR model:"q\\"")');
    fails('model:(a b)', 9, /unexpected "b"/, 'OR');
    fails('model:(a OR', 11, /unexpected end of input/, 'value');
    fails('model:(a', 8, /missing "\)"/);
    fails('status:(ok OR maybe)', 14, /status must be ok or error/);
  });

  it('is the query model parser', () => {
    assert.equal(validateSearch('service:checkout'), null);
    assert.deepEqual(validateSearch('service:checkout (a'), { message: 'missing ")"', offset: 19, expected: ['")"', 'AND', 'OR', 'term', '"("', 'NOT'] });
    assert.equal(validateSearch('service:$service duration:>${min}'), null);
    assert.ok(new SearchError('x', 0, []) instanceof Error);
  });
});

describe('search SQL', () => {
  const sql = (e: SearchExpr | null, target: 'trace' | 'span' | 'rollup') => {
    const p = new Params();
    return { text: compileSearch(e, target, p), values: p.values };
  };

  it('binds every user value as a parameter', () => {
    const evil = `x' OR 1=1 --`;
    const r = sql(parseSearch(`service:"${evil}" attr.k="${evil}" "${evil}" model:${"a'b"}`), 'trace');
    assert.ok(!r.text.includes("'b") && !r.text.includes('1=1'), r.text);
    assert.deepEqual(r.values, [evil, '/k', evil, `%${evil}%`, "a'b"]);
  });

  it('uses bool_or for span terms and trace totals for the rest', () => {
    const r = sql(parseSearch('service:a status:error duration:>2s cost:>0.01 tokens:>=10'), 'trace');
    assert.match(r.text, /coalesce\(bool_or\(coalesce\(service = \$1, false\)\), false\)|coalesce\(bool_or\(service = \$1\), false\)/);
    assert.match(r.text, /count\(\*\) FILTER \(WHERE status_code = 2\) > 0/);
    assert.match(r.text, /\(max\(end_ns\) - min\(start_ns\)\) > \$2/);
    assert.match(r.text, /coalesce\(sum\(cost_micros\), 0\) > \$3/);
    assert.deepEqual(r.values, ['a', 2_000_000_000n, 10_000n, 10n]);
  });

  it('knows what the rollup can answer', () => {
    assert.equal(rollupCanFilter(parseSearch('service:a (model:gpt* OR provider:openai) NOT kind:tool operation:chat')), true);
    assert.equal(rollupCanFilter(parseSearch('service:a user:u1')), false);
    assert.equal(rollupCanFilter(parseSearch('status:error')), false);
    assert.equal(rollupCanFilter(parseSearch('attr.a=b')), false);
    assert.equal(rollupCanFilter(null), true);
  });
});
