import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BUNDLED_PRICES, MAX_PRICED_MODEL_NAME, PriceBook, type BundledPrice, type PriceInput } from './index.js';

// The real table on purpose: these tests pin bundled prices, so a price change shows up here.
const book = PriceBook.fromEntries(BUNDLED_PRICES);

function input(model: string | null, t: Partial<PriceInput> = {}, provider: string | null = null): PriceInput {
  return {
    provider,
    model,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    ...t,
  };
}

describe('PriceBook.price: exact micro-dollars', () => {
  it('Anthropic with cache read, cache write and thinking tokens (claude-sonnet-4: 3 / 15 / 0.3 / 3.75)', () => {
    // input 10,000 includes 6,000 cache reads + 2,000 cache writes -> 2,000 uncached.
    // 2,000*3 + 6,000*0.3 + 2,000*3.75 + 1,500*15 = 6,000 + 1,800 + 7,500 + 22,500 = 37,800
    // (the 500 thinking tokens are inside the 1,500 output tokens, not added again)
    const r = book.price(
      input(
        'claude-sonnet-4-20250514',
        {
          inputTokens: 10_000,
          cacheReadTokens: 6_000,
          cacheWriteTokens: 2_000,
          outputTokens: 1_500,
          reasoningTokens: 500,
        },
        'anthropic'
      )
    );
    assert.deepEqual(r, { costMicros: 37_800, priceKey: 'anthropic/claude-sonnet-4' });
  });

  it('OpenAI reasoning model with cached prompt (o4-mini: 1.1 / 4.4 / cached 0.275)', () => {
    // 7,200*1.1 + 12,800*0.275 + 3,000*4.4 = 7,920 + 3,520 + 13,200 = 24,640
    const r = book.price(
      input(
        'o4-mini-2025-04-16',
        { inputTokens: 20_000, cacheReadTokens: 12_800, outputTokens: 3_000, reasoningTokens: 2_304 },
        'openai'
      )
    );
    assert.deepEqual(r, { costMicros: 24_640, priceKey: 'openai/o4-mini' });
  });

  it('rounds half up once per call, not per part', () => {
    // gpt-4o-mini 0.15 / 0.6: 5*0.15 + 1*0.6 = 0.75 + 0.6 = 1.35 -> 1 (per-part rounding would say 2)
    assert.equal(book.price(input('gpt-4o-mini', { inputTokens: 5, outputTokens: 1 })).costMicros, 1);
    // 10*0.15 = 1.5 -> 2 (half up)
    assert.equal(book.price(input('gpt-4o-mini', { inputTokens: 10 })).costMicros, 2);
    // 3*0.15 = 0.45 -> 0
    assert.equal(book.price(input('gpt-4o-mini', { inputTokens: 3 })).costMicros, 0);
    // gemini-1.5-flash 0.075: 20 -> 1.5 -> 2; 6 cached at 0.01875 = 0.1125 + 14*0.075 = 1.05 -> 1.1625 -> 1
    assert.equal(book.price(input('gemini-1.5-flash', { inputTokens: 20 })).costMicros, 2);
    assert.equal(book.price(input('gemini-1.5-flash', { inputTokens: 20, cacheReadTokens: 6 })).costMicros, 1);
  });

  it('is exact for large counts (no float drift)', () => {
    // gemini-2.0-flash-lite cached 0.01875: 123,456,789 * 0.01875 = 2,314,814.79375 -> 2,314,815
    const r = book.price(input('gemini-2.0-flash-lite', { inputTokens: 123_456_789, cacheReadTokens: 123_456_789 }));
    assert.equal(r.costMicros, 2_314_815);
    // 1e9 output tokens of claude-3-opus at 75 = 75,000,000,000 micros ($75,000)
    assert.equal(book.price(input('claude-3-opus-20240229', { outputTokens: 1e9 })).costMicros, 75_000_000_000);
  });

  it('falls back to the input rate for a cache part the model has no rate for', () => {
    // gemini-1.5-pro lists no cache rate: 1,000 input (400 cached) * 1.25 + 100 * 5 = 1,250 + 500
    assert.equal(
      book.price(input('gemini-1.5-pro-002', { inputTokens: 1000, cacheReadTokens: 400, outputTokens: 100 }))
        .costMicros,
      1750
    );
    // OpenAI has no cache-write price: writes bill as plain input. gpt-4.1: 1000*2 + 0*... = 2000
    assert.equal(book.price(input('gpt-4.1', { inputTokens: 1000, cacheWriteTokens: 1000 })).costMicros, 2000);
  });

  it('never bills a negative uncached part when cache counts exceed input', () => {
    // claude-3-5-haiku 0.8 / 4 / 0.08 / 1: input 100 but 300 cache reads reported -> 300*0.08 = 24
    assert.equal(
      book.price(input('claude-3-5-haiku-20241022', { inputTokens: 100, cacheReadTokens: 300 })).costMicros,
      24
    );
  });

  it('bills reasoning once even when it is reported larger than output', () => {
    // o3 8 / M output: max(100, 400) * 8 = 3,200
    assert.equal(book.price(input('o3', { outputTokens: 100, reasoningTokens: 400 })).costMicros, 3200);
  });

  it('uses the long-context tier above its threshold (prompt incl. cached tokens)', () => {
    // gemini-1.5-flash >128k: 0.15 for every prompt token (the tier has no cache rate), 0.6 output
    assert.equal(
      book.price(input('gemini-1.5-flash', { inputTokens: 128_001, cacheReadTokens: 128_001 })).costMicros,
      19_200
    );
    // claude-sonnet-4-5: <=200k 3 / 15, >200k 6 / 22.5 / cache read 0.6
    assert.equal(
      book.price(input('claude-sonnet-4-5', { inputTokens: 200_000, outputTokens: 1000 })).costMicros,
      615_000
    );
    assert.equal(
      book.price(input('claude-sonnet-4-5', { inputTokens: 250_000, cacheReadTokens: 100_000, outputTokens: 1000 }))
        .costMicros,
      // 150,000*6 + 100,000*0.6 + 1,000*22.5 = 900,000 + 60,000 + 22,500
      982_500
    );
    // gemini-2.5-pro >200k: 2.5 / 15
    assert.equal(book.price(input('gemini-2.5-pro', { inputTokens: 200_001, outputTokens: 10 })).costMicros, 500_153);
  });

  it('clamps junk token counts to whole non-negative numbers', () => {
    const r = book.price(input('gpt-4o', { inputTokens: -5, outputTokens: Number.NaN, cacheReadTokens: 2.6 }));
    // only 3 cache reads (2.6 rounded) at 1.25 -> 3.75 -> 4
    assert.deepEqual(r, { costMicros: 4, priceKey: 'openai/gpt-4o' });
  });

  it('prices zero tokens of a known model at 0 with its key', () => {
    assert.deepEqual(book.price(input('gpt-4o')), { costMicros: 0, priceKey: 'openai/gpt-4o' });
  });

  it('returns nulls for unknown, empty or missing models', () => {
    const none = { costMicros: null, priceKey: null };
    assert.deepEqual(book.price(input('my-local-model', { inputTokens: 10 })), none);
    assert.deepEqual(book.price(input(null, { inputTokens: 10 }, 'openai')), none);
    assert.deepEqual(book.price(input('   ', { inputTokens: 10 })), none);
    assert.deepEqual(book.price(input('azure/my-gpt4o-deployment', { inputTokens: 10 }, 'azure.ai.openai')), none);
  });

  it(`does not price model names over ${MAX_PRICED_MODEL_NAME} characters (matching is quadratic in the length)`, () => {
    const longest = `gpt-4o-${'x'.repeat(MAX_PRICED_MODEL_NAME - 7)}`;
    assert.equal(book.resolve('openai', longest)?.key, 'openai/gpt-4o');
    assert.equal(book.resolve('openai', `${longest}x`), null);
    assert.deepEqual(book.price(input(`gpt-4o${'-'.repeat(32_000)}`, { inputTokens: 10 })), { costMicros: null, priceKey: null });
  });
});

describe('PriceBook.resolve: model-name matching', () => {
  const cases: Array<[provider: string | null, model: string, key: string | null]> = [
    ['openai', 'openai/gpt-4o-2024-08-06', 'openai/gpt-4o'],
    [null, 'gpt-4o-2024-08-06', 'openai/gpt-4o'],
    [null, 'gpt-4o', 'openai/gpt-4o'],
    [null, 'GPT-4o-Mini-2024-07-18', 'openai/gpt-4o-mini'],
    [null, 'gpt-4o-mini', 'openai/gpt-4o-mini'],
    [null, 'gpt-4o-2024-05-13', 'openai/gpt-4o-2024-05-13'],
    [null, 'gpt-4o-realtime-preview-2024-12-17', 'openai/gpt-4o-realtime-preview'],
    [null, 'gpt-4.1-mini-2025-04-14', 'openai/gpt-4.1-mini'],
    [null, 'gpt-4.1', 'openai/gpt-4.1'],
    [null, 'gpt-4-0613', 'openai/gpt-4'],
    [null, 'gpt-4-turbo-2024-04-09', 'openai/gpt-4-turbo'],
    [null, 'gpt-5-2025-08-07', 'openai/gpt-5'],
    [null, 'gpt-5-mini', 'openai/gpt-5-mini'],
    [null, 'gpt-5-chat-latest', 'openai/gpt-5'],
    [null, 'gpt-5.1-codex', 'openai/gpt-5.1'],
    [null, 'gpt-5.1-codex-mini', 'openai/gpt-5.1-codex-mini'],
    [null, 'gpt-4.5-preview', null], // no "gpt-4" fallback across a dot
    [null, 'o1', 'openai/o1'],
    [null, 'o1-mini-2024-09-12', 'openai/o1-mini'],
    [null, 'o3-mini-2025-01-31', 'openai/o3-mini'],
    [null, 'o3-2025-04-16', 'openai/o3'],
    [null, 'o4-mini', 'openai/o4-mini'],
    [null, 'text-embedding-3-small', 'openai/text-embedding-3-small'],
    ['azure.ai.openai', 'gpt-4o-mini', 'openai/gpt-4o-mini'],
    ['azure', 'azure/gpt-4o', 'openai/gpt-4o'],
    ['azure', 'azure/my-gpt4o-deployment', null],
    ['anthropic', 'claude-3-5-sonnet-latest', 'anthropic/claude-3-5-sonnet'],
    [null, 'claude-3-5-sonnet-20241022', 'anthropic/claude-3-5-sonnet'],
    [null, 'anthropic/claude-3.5-sonnet', 'anthropic/claude-3-5-sonnet'],
    [null, 'anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4-5'],
    ['gcp.vertex_ai', 'claude-3-5-sonnet-v2@20241022', 'anthropic/claude-3-5-sonnet'],
    [null, 'claude-3-5-haiku-20241022', 'anthropic/claude-3-5-haiku'],
    [null, 'claude-3-haiku-20240307', 'anthropic/claude-3-haiku'],
    [null, 'claude-3-7-sonnet-latest', 'anthropic/claude-3-7-sonnet'],
    [null, 'claude-sonnet-4-20250514', 'anthropic/claude-sonnet-4'],
    [null, 'claude-4-sonnet-20250514', 'anthropic/claude-sonnet-4'],
    [null, 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4-5'],
    [null, 'claude-opus-4-20250514', 'anthropic/claude-opus-4'],
    [null, 'claude-opus-4-1-20250805', 'anthropic/claude-opus-4-1'],
    [null, 'claude-opus-4-5', 'anthropic/claude-opus-4-5'],
    [null, 'claude-haiku-4-5-20251001', 'anthropic/claude-haiku-4-5'],
    ['aws.bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'anthropic/claude-3-5-sonnet'],
    ['aws.bedrock', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'anthropic/claude-3-5-sonnet'],
    ['aws.bedrock', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0', 'anthropic/claude-3-7-sonnet'],
    ['aws.bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'bedrock/regional.anthropic.claude-sonnet-4-5'],
    ['aws.bedrock', 'eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'bedrock/regional.anthropic.claude-haiku-4-5'],
    ['aws.bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic/claude-sonnet-4-5'],
    [
      'aws.bedrock',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0',
      'anthropic/claude-3-5-haiku',
    ],
    ['aws.bedrock', 'bedrock/converse/us.anthropic.claude-opus-4-1-20250805-v1:0', 'anthropic/claude-opus-4-1'],
    ['aws.bedrock', 'meta.llama3-1-70b-instruct-v1:0', 'bedrock/meta.llama3-1-70b-instruct'],
    ['aws.bedrock', 'us.meta.llama3-3-70b-instruct-v1:0', 'bedrock/meta.llama3-3-70b-instruct'],
    ['aws.bedrock', 'amazon.nova-lite-v1:0', 'bedrock/amazon.nova-lite'],
    ['aws.bedrock', 'us.amazon.nova-pro-v1:0', 'bedrock/amazon.nova-pro'],
    ['aws.bedrock', 'eu.amazon.nova-micro-v1:0', 'bedrock/eu.amazon.nova-micro'],
    ['gcp.gemini', 'models/gemini-1.5-pro-002', 'google/gemini-1.5-pro'],
    [null, 'gemini-1.5-flash-002', 'google/gemini-1.5-flash'],
    [null, 'gemini-1.5-flash-8b-001', 'google/gemini-1.5-flash-8b'],
    [null, 'gemini-2.0-flash-001', 'google/gemini-2.0-flash'],
    [null, 'gemini-2.0-flash-lite-001', 'google/gemini-2.0-flash-lite'],
    [null, 'gemini-2.5-pro', 'google/gemini-2.5-pro'],
    [null, 'gemini-2.5-flash-preview-05-20', 'google/gemini-2.5-flash'],
    [null, 'gemini-2.5-flash-lite', 'google/gemini-2.5-flash-lite'],
    ['gcp.vertex_ai', 'publishers/google/models/gemini-2.5-flash', 'google/gemini-2.5-flash'],
    ['mistral_ai', 'mistral-large-latest', 'mistral/mistral-large-3'],
    ['mistral_ai', 'mistral-large-2411', 'mistral/mistral-large-2411'],
    ['mistral_ai', 'mistral-small-2503', 'mistral/mistral-small'],
    ['mistral_ai', 'mistral/codestral-latest', 'mistral/codestral'],
    ['mistral_ai', 'open-mixtral-8x7b', 'mistral/open-mixtral-8x7b'],
    ['groq', 'llama-3.3-70b-versatile', 'groq/llama-3.3-70b-versatile'],
    ['groq', 'mixtral-8x7b-32768', 'groq/mixtral-8x7b-32768'],
    ['groq', 'meta-llama/llama-4-scout-17b-16e-instruct', 'groq/llama-4-scout-17b-16e-instruct'],
    ['groq', 'openai/gpt-oss-120b', 'groq/gpt-oss-120b'],
    ['deepseek', 'deepseek-chat', 'deepseek/deepseek-chat'],
    ['openai', 'deepseek-reasoner', 'deepseek/deepseek-reasoner'], // OpenAI SDK pointed at DeepSeek
    ['x_ai', 'grok-4-0709', 'xai/grok-4'],
    ['x_ai', 'grok-4-1-fast-reasoning', 'xai/grok-4-1-fast'],
    ['x_ai', 'grok-3-mini', 'xai/grok-3-mini'],
    ['x_ai', 'xai/grok-3-mini-fast-latest', 'xai/grok-3-mini-fast'],
    [null, 'gpt-4o-search-preview-2025-03-11', 'openai/gpt-4o'],
    [null, 'llama-3.3-70b', null],
  ];
  for (const [provider, model, key] of cases) {
    it(`${provider ?? '-'} / ${model} -> ${key ?? 'null'}`, () => {
      assert.equal(book.resolve(provider, model)?.key ?? null, key);
    });
  }

  it('caches resolutions and returns the same answer', () => {
    const a = book.resolve('openai', 'openai/gpt-4o-2024-08-06');
    const b = book.resolve('openai', 'openai/gpt-4o-2024-08-06');
    assert.equal(a, b);
    assert.equal(book.resolve(null, 'nope-1'), null);
    assert.equal(book.resolve(null, 'nope-1'), null);
  });

  it('uses the provider to break ties between equally specific names, then table order', () => {
    const rows: BundledPrice[] = [
      { key: 'groq/shared', provider: 'groq', match: ['shared-model'], input: '1', output: '1', source: 't' },
      { key: 'bedrock/shared', provider: 'bedrock', match: ['shared-model'], input: '2', output: '2', source: 't' },
    ];
    const b = PriceBook.fromEntries(rows);
    assert.equal(b.resolve('aws.bedrock', 'shared-model-v1')?.key, 'bedrock/shared');
    assert.equal(b.resolve('groq', 'shared-model')?.key, 'groq/shared');
    assert.equal(b.resolve(null, 'shared-model')?.key, 'groq/shared');
    assert.equal(b.resolve('openrouter', 'shared-model')?.key, 'groq/shared');
  });

  it('prefers a longer name over the provider hint', () => {
    const rows: BundledPrice[] = [
      { key: 'a/m', provider: 'openai', match: ['m'], input: '1', output: '1', source: 't' },
      { key: 'b/m-mini', provider: 'groq', match: ['m-mini'], input: '2', output: '2', source: 't' },
    ];
    assert.equal(PriceBook.fromEntries(rows).resolve('openai', 'm-mini-2025')?.key, 'b/m-mini');
  });
});

describe('PriceBook.fromEntries / entries', () => {
  it('rejects malformed table rows with the row and field', () => {
    const bad = [{ key: 'x/y', provider: 'x', match: ['y'], input: '-1', output: '1', source: 't' }];
    assert.throws(() => PriceBook.fromEntries(bad), /price entry 0 \(x\/y\): input: must be a non-negative decimal/);
    const upper = [{ key: 'x/y', provider: 'x', match: ['Y'], input: '1', output: '1', source: 't' }];
    assert.throws(() => PriceBook.fromEntries(upper), /match\.0: prefixes are lower case/);
  });

  it('lists overrides before bundled entries', () => {
    const b = PriceBook.fromEntries(
      [{ key: 'x/y', provider: 'x', match: ['y'], input: '1', output: '1', source: 't' }],
      [{ match: 'y', input: '3', output: '4' }]
    );
    assert.deepEqual(
      b.entries().map((e) => [e.key, e.origin]),
      [
        ['override:y', 'override'],
        ['x/y', 'bundled'],
      ]
    );
  });
});
