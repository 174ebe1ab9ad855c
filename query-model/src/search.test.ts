import {
  formatSearch,
  joinSearch,
  MAX_SEARCH_DEPTH,
  parseSearch,
  quoteSearchValue,
  SearchError,
  searchTerm,
  searchValueList,
  validateSearch,
} from './search';

describe('validateSearch', () => {
  it('accepts valid searches and reports the first problem with its offset', () => {
    expect(validateSearch('')).toBeNull();
    expect(validateSearch('service:checkout model:(gpt-4o OR "claude 3") duration:>2s')).toBeNull();
    expect(validateSearch('service:checkout colour:red')).toEqual({
      message: 'unknown key "colour"',
      offset: 17,
      expected: expect.arrayContaining(['service', 'attr.<key>']),
    });
    expect(validateSearch('status:maybe')).toMatchObject({ offset: 7, message: expect.stringMatching(/ok or error/) });
  });

  it('does not judge template variables, which are known only at query time', () => {
    expect(validateSearch('duration:>$min status:${status} model:[[m]]')).toBeNull();
    // A problem outside the variables is still reported.
    expect(validateSearch('service:$svc (a')).toMatchObject({ message: 'missing ")"', offset: 15 });
  });
});

describe('search text helpers', () => {
  it('quotes only what needs quoting', () => {
    expect(quoteSearchValue('gpt-4o*')).toBe('gpt-4o*');
    expect(quoteSearchValue('a b')).toBe('"a b"');
    expect(quoteSearchValue('OR')).toBe('"OR"');
    expect(quoteSearchValue('-x')).toBe('"-x"');
    expect(quoteSearchValue('>5')).toBe('">5"');
    expect(quoteSearchValue('')).toBe('""');
    expect(quoteSearchValue('say "hi" \\')).toBe('"say \\"hi\\" \\\\"');
  });

  it('builds terms and lists that parse back to the same values', () => {
    const list = searchValueList(['a b', 'c', 'q"']);
    expect(list).toBe('("a b" OR c OR "q\\"")');
    const e = parseSearch(`model:${list}`);
    expect(e).toMatchObject({
      type: 'or',
      items: [{ term: { value: 'a b' } }, { term: { value: 'c' } }, { term: { value: 'q"' } }],
    });
    expect(searchTerm('user.tier', ['gold'])).toBe('attr.user.tier:gold');
    expect(searchTerm('service', ['a', 'b'], 'neq')).toBe('-service:(a OR b)');
    expect(searchTerm('duration', ['2s'], '>')).toBe('duration:>2s');
  });

  it('ANDs parts, parenthesising top-level ORs only', () => {
    expect(joinSearch(['a OR b', 'model:(x OR y)', '', undefined, '"p OR q"'])).toBe(
      '(a OR b) model:(x OR y) "p OR q"'
    );
    expect(joinSearch(['  only '])).toBe('only');
    expect(joinSearch([])).toBe('');
  });
});

describe('parser limits and canonical text', () => {
  it('refuses deeper nesting than MAX_SEARCH_DEPTH with a position, and accepts it up to the limit', () => {
    const deep = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    expect(parseSearch(deep(MAX_SEARCH_DEPTH))).toMatchObject({ type: 'term' });
    expect(() => parseSearch(deep(100_000))).toThrow(SearchError);
    try {
      parseSearch(`x ${'NOT '.repeat(MAX_SEARCH_DEPTH + 1)}a`);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(SearchError);
      expect((e as SearchError).message).toContain('nested');
      expect((e as SearchError).offset).toBe(2 + 4 * MAX_SEARCH_DEPTH);
    }
  });

  it('formats values with quotes, backslashes and control characters so they parse back', () => {
    for (const v of ['a"b', 'back\\slash', 'tab\there', 'nul\u0000x', 'line\nbreak', 'é 😀']) {
      const ast = parseSearch(`model:${quoteSearchValue(v)}`);
      expect(parseSearch(formatSearch(ast))).toEqual(ast);
    }
  });
});
