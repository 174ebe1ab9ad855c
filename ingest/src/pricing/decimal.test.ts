import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { numberToDecimal, parseRate, RATE_SCALE, roundScaledToMicros } from './decimal.js';
import { boundaryPrefixes, canonicalProvider, compileMatchRegex, modelCandidates, prefixMatches } from './match.js';

describe('decimal rates', () => {
  it('parses decimal strings exactly into 1e-12 micro-dollar units', () => {
    assert.equal(parseRate('2.5'), 2_500_000_000_000n);
    assert.equal(parseRate('0.01875'), 18_750_000_000n);
    assert.equal(parseRate('0.000000000001'), 1n);
    assert.equal(parseRate('0'), 0n);
    assert.equal(parseRate('150'), 150n * RATE_SCALE);
  });

  it('rejects what is not a plain non-negative decimal', () => {
    for (const bad of ['', '-1', '1e-6', '.5', '1.', '0.1234567890123', ' 1', '1,5', '1234567890']) {
      assert.throws(() => parseRate(bad), /invalid rate/, bad);
    }
  });

  it('rounds half up', () => {
    assert.equal(roundScaledToMicros(RATE_SCALE / 2n), 1n);
    assert.equal(roundScaledToMicros(RATE_SCALE / 2n - 1n), 0n);
    assert.equal(roundScaledToMicros(3n * RATE_SCALE + RATE_SCALE / 2n), 4n);
    assert.equal(roundScaledToMicros(0n), 0n);
  });

  it('turns numbers into canonical decimals', () => {
    assert.equal(numberToDecimal(2.5), '2.5');
    assert.equal(numberToDecimal(10), '10');
    assert.equal(numberToDecimal(0.1), '0.1');
    assert.equal(numberToDecimal(0.075), '0.075');
    assert.equal(numberToDecimal(1e-6), '0.000001');
    assert.equal(numberToDecimal(0), '0');
    assert.equal(numberToDecimal(-1), null);
    assert.equal(numberToDecimal(Number.POSITIVE_INFINITY), null);
  });
});

describe('name normalization', () => {
  it('expands a model name into candidate forms', () => {
    assert.deepEqual(modelCandidates('Bedrock/us.anthropic.Claude-3-5-Sonnet-20240620-v1:0'), [
      'bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      'anthropic.claude-3-5-sonnet-20240620-v1:0',
      'claude-3-5-sonnet-20240620-v1:0',
    ]);
    assert.deepEqual(modelCandidates('claude-3.7-sonnet'), ['claude-3.7-sonnet', 'claude-3-7-sonnet']);
    assert.deepEqual(modelCandidates(' gpt-4o '), ['gpt-4o']);
  });

  it('matches prefixes only at a boundary', () => {
    assert.ok(prefixMatches('gpt-4o', 'gpt-4o'));
    assert.ok(prefixMatches('gpt-4o', 'gpt-4o-2024-08-06'));
    assert.ok(prefixMatches('claude-3-5-sonnet', 'claude-3-5-sonnet@20240620'));
    assert.ok(prefixMatches('gpt-4', 'gpt-4:ft-acme'));
    assert.ok(!prefixMatches('gpt-4', 'gpt-4o'));
    assert.ok(!prefixMatches('gpt-4', 'gpt-4.1'));
    assert.ok(!prefixMatches('o1', 'o10'));
    assert.deepEqual(boundaryPrefixes('a-b:c'), ['a-b:c', 'a-b', 'a']);
  });

  it('canonicalizes provider names from the three attribute families', () => {
    assert.equal(canonicalProvider('aws.bedrock'), 'bedrock');
    assert.equal(canonicalProvider('azure.ai.openai'), 'azure');
    assert.equal(canonicalProvider('gcp.vertex_ai'), 'vertex');
    assert.equal(canonicalProvider('gcp.gemini'), 'google');
    assert.equal(canonicalProvider('mistral_ai'), 'mistral');
    assert.equal(canonicalProvider('x_ai'), 'xai');
    assert.equal(canonicalProvider(' OpenAI '), 'openai');
    assert.equal(canonicalProvider('openrouter'), 'openrouter');
    assert.equal(canonicalProvider(''), null);
    assert.equal(canonicalProvider(null), null);
  });

  it('compiles /regex/ matches case-insensitively and leaves plain names alone', () => {
    assert.equal(compileMatchRegex('gpt-4o'), null);
    assert.ok(compileMatchRegex('/^GPT/')?.test('gpt-4o'));
    assert.equal(compileMatchRegex('/a/g')?.flags, 'i');
    assert.throws(() => compileMatchRegex('/(/'));
  });
});
