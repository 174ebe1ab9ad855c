import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PriceBook, PriceFileError, type PriceInput } from './index.js';
import { parseOverrideText } from './overrides.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pyflare-prices-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

function input(model: string, provider: string | null = null): PriceInput {
  return {
    provider,
    model,
    inputTokens: 1000,
    outputTokens: 100,
    cacheReadTokens: 200,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
}

const YAML_OVERRIDES = `# negotiated prices
- match: gpt-4o            # exact name only
  input: 1
  output: 2
  cacheRead: "0.5"
- match: /^acme-(small|large)-v\\d+$/
  input: "0.25"
  output: 0.75
- match: gpt-4o-mini
  provider: azure
  input: 0.1
  output: 0.2
`;

describe('override files', () => {
  it('loads YAML overrides that win over bundled prices', async () => {
    const book = await PriceBook.load({ overrideFile: await file('prices.yaml', YAML_OVERRIDES) });
    // gpt-4o: 800*1 + 200*0.5 + 100*2 = 800 + 100 + 200 = 1,100
    assert.deepEqual(book.price(input('gpt-4o')), { costMicros: 1100, priceKey: 'override:gpt-4o' });
    // exact also after a route prefix is stripped
    assert.equal(book.price(input('openai/gpt-4o')).priceKey, 'override:gpt-4o');
    // a dated name is not the exact name: bundled gpt-4o (800*2.5 + 200*1.25 + 100*10 = 3,250)
    assert.deepEqual(book.price(input('gpt-4o-2024-08-06')), { costMicros: 3250, priceKey: 'openai/gpt-4o' });
    // regex, case-insensitive: 1000*0.25 + 100*0.75 = 325 (no cache rate -> input rate)
    assert.deepEqual(book.price(input('ACME-large-v2')), {
      costMicros: 325,
      priceKey: 'override:/^acme-(small|large)-v\\d+$/',
    });
    assert.equal(book.price(input('acme-huge-v2')).priceKey, null);
    // provider-scoped override: only Azure spans; 1000*0.1 + 100*0.2 = 120
    assert.deepEqual(book.price(input('gpt-4o-mini', 'azure.ai.openai')), {
      costMicros: 120,
      priceKey: 'override:gpt-4o-mini',
    });
    assert.equal(book.price(input('gpt-4o-mini', 'openai')).priceKey, 'openai/gpt-4o-mini');
    assert.equal(book.price(input('gpt-4o-mini')).priceKey, 'openai/gpt-4o-mini');
    assert.equal(book.entries()[0]?.origin, 'override');
  });

  it('loads JSON overrides, as a list or as { prices: [...] }, by extension or by content', async () => {
    const json = JSON.stringify({ prices: [{ match: 'my-model', input: '3', output: '6', cacheWrite: '4' }] });
    for (const name of ['p.json', 'p.conf']) {
      const book = await PriceBook.load({ overrideFile: await file(name, json) });
      // 800*3 + 200*3 (cacheRead falls back to input) + 100*6 = 3,600
      assert.deepEqual(book.price(input('my-model')), { costMicros: 3600, priceKey: 'override:my-model' });
    }
    const list = await file('list.json', JSON.stringify([{ match: 'm2', input: 1, output: 1 }]));
    assert.equal((await PriceBook.load({ overrideFile: list })).price(input('m2')).costMicros, 1100);
  });

  it('first matching override wins, in file order', () => {
    const o = parseOverrideText(
      '- {match: "/^x/", input: 1, output: 1}\n- {match: x1, input: 2, output: 2}\n',
      'a.yml'
    );
    const book = PriceBook.fromEntries([], o);
    assert.equal(book.resolve(null, 'x1')?.key, 'override:/^x/');
  });

  it('treats an empty file as no overrides', async () => {
    const book = await PriceBook.load({ overrideFile: await file('empty.yaml', '# nothing yet\n') });
    assert.equal(book.entries()[0]?.origin, 'bundled');
    assert.deepEqual(parseOverrideText('', 'x.json'), []);
  });

  it('names the entry index and field of every problem', () => {
    const text = `
- match: ok-model
  input: 1
  output: 1
- match: no-output
  input: 1
- match: negative
  input: -2
  output: "abc"
- match: /([unclosed/
  input: 1
  output: 1
  cachRead: 1
- input: 1
  output: 1
  provider: ""
`;
    let err: unknown;
    try {
      parseOverrideText(text, '/etc/pyflare/prices.yaml');
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof PriceFileError);
    assert.equal(err.file, '/etc/pyflare/prices.yaml');
    const p = err.problems;
    assert.ok(p.includes('entry 1 (match "no-output"): field "output": is required'), p.join('\n'));
    assert.ok(p.some((m) => m.startsWith('entry 2 (match "negative"): field "input": must be a non-negative')));
    assert.ok(p.some((m) => m.startsWith('entry 2 (match "negative"): field "output": must be a non-negative')));
    assert.ok(p.some((m) => m.startsWith('entry 3 (match "/([unclosed/"): field "match": invalid regex')));
    assert.ok(p.some((m) => m.startsWith('entry 3 (match "/([unclosed/"): unknown field "cachRead"')));
    assert.ok(p.includes('entry 4: field "match": is required'), p.join('\n'));
    assert.ok(p.some((m) => m.startsWith('entry 4: field "provider": must not be empty')));
    assert.equal(p.length, 7, p.join('\n'));
    assert.match(err.message, /^invalid price override file \/etc\/pyflare\/prices\.yaml:\n {2}entry 1/);
  });

  it('reports syntax errors, a wrong top level and a missing file', async () => {
    assert.throws(() => parseOverrideText('[{"match": "x",}]', 'p.json'), /p\.json:\n {2}not valid JSON/);
    assert.throws(() => parseOverrideText('- match: [unclosed\n', 'p.yaml'), /p\.yaml:\n {2}not valid YAML/);
    assert.throws(() => parseOverrideText('just a string', 'p.yaml'), /top level must be a list of price entries/);
    assert.throws(() => parseOverrideText('{"prices": {"match": "x"}}', 'p.json'), /"prices" must be a list/);
    assert.throws(() => parseOverrideText('{"price": []}', 'p.json'), /top level must be a list/);
    await assert.rejects(PriceBook.load({ overrideFile: path.join(dir, 'missing.yaml') }), (e: unknown) => {
      assert.ok(e instanceof PriceFileError);
      assert.match(e.message, /missing\.yaml:\n {2}cannot read: ENOENT/);
      return true;
    });
  });

  it('keeps exact decimals from numbers and strings', () => {
    const [o] = parseOverrideText('- {match: m, input: 0.000001, output: "0.123456789012", cacheRead: 1e-3}', 'x.yaml');
    assert.deepEqual(o, { match: 'm', input: '0.000001', output: '0.123456789012', cacheRead: '0.001' });
    assert.throws(() => parseOverrideText('- {match: m, input: "0.1234567890123", output: 1}', 'x.yaml'), /"input"/);
  });
});
