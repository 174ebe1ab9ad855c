import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PriceBook } from '../pricing/index.js';
import { kvs, NOW_NS, request, span } from '../testing/otlp.js';
import { DEFAULT_LIMITS, normalizeRequest } from './index.js';
import { MAX_CALL_USD, MAX_TOKEN_COUNT, usdToMicros } from './llm.js';

let prices: PriceBook;
before(async () => {
  prices = await PriceBook.load({});
});

function one(attrs: Parameters<typeof span>[0]) {
  const r = normalizeRequest(request([span(attrs)]), { nowNs: NOW_NS, pricer: prices });
  assert.equal(r.rejected, 0, r.errorMessage);
  return r.rows[0]!;
}

describe('OpenTelemetry GenAI (current conventions)', () => {
  it('maps an openai-v2 chat span with cached tokens', () => {
    const row = one({
      name: 'chat gpt-4o',
      kind: 3,
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.temperature': 0.7,
        'gen_ai.request.max_tokens': 512,
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': 'chatcmpl-AbC123',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.conversation.id': 'conv-7',
        'server.address': 'api.openai.com',
        'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]',
      },
    });
    assert.equal(row.spanKind, 'llm');
    assert.equal(row.kind, 'client');
    assert.equal(row.provider, 'openai');
    assert.equal(row.operation, 'chat');
    assert.equal(row.requestModel, 'gpt-4o');
    assert.equal(row.responseModel, 'gpt-4o-2024-08-06');
    assert.equal(row.inputTokens, 1200);
    assert.equal(row.outputTokens, 300);
    assert.equal(row.cacheReadTokens, 1000);
    assert.equal(row.sessionId, 'conv-7');
    assert.deepEqual(row.finishReasons, ['stop']);
    assert.match(row.inputContent ?? '', /"hi"/);
    assert.match(row.outputContent ?? '', /"hello"/);
    assert.equal(row.costSource, 'computed');
    assert.equal(row.priceKey, 'openai/gpt-4o');
    // Cached reads must not be billed twice: cost is below 1200 tokens at the full input rate.
    const uncachedOnly = prices.price({
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 1200,
      outputTokens: 300,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    assert.ok(row.costMicros! < uncachedOnly.costMicros!, `${row.costMicros} < ${uncachedOnly.costMicros}`);
    assert.deepEqual(JSON.parse(row.attributes)['gen_ai.response.finish_reasons'], ['stop']);
  });

  it('maps agent and tool spans', () => {
    const agent = one({
      name: 'invoke_agent support-bot',
      attrs: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support-bot', 'gen_ai.agent.id': 'a1' },
    });
    assert.equal(agent.spanKind, 'agent');
    assert.equal(agent.agentName, 'support-bot');
    assert.equal(agent.costSource, null, 'no LLM usage: nothing to price');
    const tool = one({
      name: 'execute_tool get_weather',
      attrs: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.call.arguments': '{"city":"Oslo"}',
        'gen_ai.tool.call.result': '{"temp":3}',
      },
    });
    assert.equal(tool.spanKind, 'tool');
    assert.equal(tool.toolName, 'get_weather');
    assert.equal(tool.inputContent, '{"city":"Oslo"}');
    assert.equal(tool.outputContent, '{"temp":3}');
  });

  it('maps embeddings, anthropic cache writes and reasoning tokens', () => {
    const emb = one({
      attrs: {
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'text-embedding-3-small',
        'gen_ai.usage.input_tokens': 42,
      },
    });
    assert.equal(emb.spanKind, 'embedding');
    assert.equal(emb.costSource, 'computed');
    const claude = one({
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-20250514',
        'gen_ai.usage.input_tokens': 2000,
        'gen_ai.usage.cache_creation.input_tokens': 1500,
        'gen_ai.usage.cache_read.input_tokens': 0,
        'gen_ai.usage.output_tokens': 800,
        'gen_ai.usage.reasoning.output_tokens': 500,
      },
    });
    assert.equal(claude.cacheWriteTokens, 1500);
    assert.equal(claude.reasoningTokens, 500);
    assert.equal(claude.outputTokens, 800, 'reasoning is part of output already');
    assert.equal(claude.priceKey, 'anthropic/claude-sonnet-4');
  });
});

describe('OpenTelemetry GenAI (deprecated names and events)', () => {
  it('reads gen_ai.system, prompt/completion tokens and message events', () => {
    const start = NOW_NS - 2_000_000_000n;
    const row = one({
      startTimeUnixNano: start,
      attrs: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.prompt_tokens': 52,
        'gen_ai.usage.completion_tokens': 12,
      },
      events: [
        { timeUnixNano: start + 1n, name: 'gen_ai.user.message', attributes: kvs({ content: 'What is 2+2?' }), droppedAttributesCount: 0 },
        {
          timeUnixNano: start + 2n,
          name: 'gen_ai.choice',
          attributes: kvs({ index: 0, finish_reason: 'stop', message: '{"content":"4"}' }),
          droppedAttributesCount: 0,
        },
      ],
    });
    assert.equal(row.provider, 'openai');
    assert.equal(row.spanKind, 'llm');
    assert.equal(row.operation, 'chat');
    assert.equal(row.inputTokens, 52);
    assert.equal(row.outputTokens, 12);
    assert.match(row.inputContent ?? '', /2\+2/);
    assert.match(row.outputContent ?? '', /finish_reason/);
    assert.deepEqual(row.finishReasons, ['stop']);
    const events = JSON.parse(row.events) as Array<{ timeNs: string; name: string }>;
    assert.equal(events[0]!.timeNs, (start + 1n).toString());
  });
});

describe('OpenInference (Arize Phoenix)', () => {
  it('maps an LLM span with flattened messages and a provided cost', () => {
    const row = one({
      name: 'ChatCompletion',
      attrs: {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini-2024-07-18',
        'llm.provider': 'openai',
        'llm.system': 'openai',
        'llm.invocation_parameters': '{"temperature": 0}',
        'llm.input_messages.0.message.role': 'system',
        'llm.input_messages.0.message.content': 'You are terse.',
        'llm.input_messages.1.message.role': 'user',
        'llm.input_messages.1.message.content': 'Capital of France?',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': 'Paris.',
        'llm.token_count.prompt': 25,
        'llm.token_count.completion': 2,
        'llm.token_count.total': 27,
        'llm.token_count.prompt_details.cache_read': 0,
        'llm.cost.total': 0.0000049,
        'session.id': 'sess-1',
        'user.id': 'u-1',
        'input.mime_type': 'application/json',
      },
    });
    assert.equal(row.spanKind, 'llm');
    assert.equal(row.provider, 'openai');
    assert.equal(row.requestModel, 'gpt-4o-mini-2024-07-18');
    assert.equal(row.inputTokens, 25);
    assert.equal(row.outputTokens, 2);
    assert.equal(row.sessionId, 'sess-1');
    assert.equal(row.userId, 'u-1');
    assert.equal(row.costSource, 'provided');
    assert.equal(row.costMicros, 5, '0.0000049 USD rounds half up to 5 micros');
    assert.deepEqual(JSON.parse(row.inputContent!), [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    assert.deepEqual(JSON.parse(row.outputContent!), [{ role: 'assistant', content: 'Paris.' }]);
  });

  it('maps TOOL, AGENT, RETRIEVER and CHAIN spans', () => {
    const tool = one({
      attrs: {
        'openinference.span.kind': 'TOOL',
        'tool.name': 'get_weather',
        'tool.description': 'weather by city',
        'input.value': '{"city":"Paris"}',
        'output.value': 'sunny',
      },
    });
    assert.equal(tool.spanKind, 'tool');
    assert.equal(tool.toolName, 'get_weather');
    assert.equal(tool.operation, 'execute_tool');
    assert.equal(tool.inputContent, '{"city":"Paris"}');
    assert.equal(tool.outputContent, 'sunny');
    // The content is those attributes' values as they are: storage may keep the text once.
    assert.equal(tool.inputContentKey, 'input.value');
    assert.equal(tool.outputContentKey, 'output.value');
    assert.equal(one({ attrs: { 'openinference.span.kind': 'AGENT', 'agent.name': 'planner' } }).agentName, 'planner');
    assert.equal(one({ attrs: { 'openinference.span.kind': 'RETRIEVER' } }).spanKind, 'retriever');
    assert.equal(one({ attrs: { 'openinference.span.kind': 'CHAIN' } }).spanKind, 'chain');
    assert.equal(one({ attrs: { 'openinference.span.kind': 'GUARDRAIL' } }).spanKind, 'guardrail');
  });
});

describe('OpenLLMetry (Traceloop)', () => {
  it('maps an OpenAI chat span with indexed prompts', () => {
    const row = one({
      name: 'openai.chat',
      attrs: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'gpt-3.5-turbo',
        'gen_ai.response.model': 'gpt-3.5-turbo-0125',
        'llm.usage.total_tokens': 35,
        'gen_ai.usage.prompt_tokens': 15,
        'gen_ai.usage.completion_tokens': 20,
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Tell me a joke about OpenTelemetry',
        'gen_ai.completion.0.finish_reason': 'stop',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Why did the span...',
        'llm.is_streaming': false,
        'gen_ai.openai.api_base': 'https://api.openai.com/v1/',
        'traceloop.association.properties.user_id': 'user-42',
      },
    });
    assert.equal(row.provider, 'openai', 'OpenAI is lower-cased');
    assert.equal(row.spanKind, 'llm');
    assert.equal(row.operation, 'chat');
    assert.equal(row.inputTokens, 15);
    assert.equal(row.outputTokens, 20);
    assert.equal(row.userId, 'user-42');
    assert.deepEqual(row.finishReasons, ['stop']);
    assert.deepEqual(JSON.parse(row.inputContent!), [{ role: 'user', content: 'Tell me a joke about OpenTelemetry' }]);
    assert.equal(row.inputContentKey, null, 'assembled from indexed attributes: stored as its own text');
    assert.equal(row.costSource, 'computed');
  });

  it('adds Anthropic cache tokens that the input count left out', () => {
    const row = one({
      attrs: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'Anthropic',
        'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
        'gen_ai.usage.prompt_tokens': 10,
        'gen_ai.usage.cache_read_input_tokens': 2000,
        'gen_ai.usage.cache_creation_input_tokens': 0,
        'gen_ai.usage.completion_tokens': 50,
      },
    });
    assert.equal(row.provider, 'anthropic');
    assert.equal(row.cacheReadTokens, 2000);
    assert.equal(row.inputTokens, 2010, 'input must include the cache reads');
  });

  it('maps workflow, task and tool spans', () => {
    const wf = one({
      attrs: {
        'traceloop.span.kind': 'workflow',
        'traceloop.entity.name': 'joke_workflow',
        'traceloop.workflow.name': 'joke_workflow',
        'traceloop.entity.input': '{"args":[],"kwargs":{}}',
        'traceloop.entity.output': '"a joke"',
      },
    });
    assert.equal(wf.spanKind, 'workflow');
    assert.equal(wf.inputContent, '{"args":[],"kwargs":{}}');
    const tool = one({ attrs: { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'get_weather' } });
    assert.equal(tool.spanKind, 'tool');
    assert.equal(tool.toolName, 'get_weather');
    assert.equal(one({ attrs: { 'traceloop.span.kind': 'task' } }).spanKind, 'task');
    assert.equal(one({ attrs: { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'bot' } }).agentName, 'bot');
  });
});

describe('OpenLIT', () => {
  it('keeps the SDK-computed cost as provided and reads content events', () => {
    const start = NOW_NS - 3_000_000_000n;
    const row = one({
      startTimeUnixNano: start,
      attrs: {
        'telemetry.sdk.name': 'openlit',
        'gen_ai.system': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 40,
        'gen_ai.usage.total_tokens': 140,
        'gen_ai.usage.cost': 0.00065,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.environment': 'production',
        'gen_ai.application_name': 'shop',
      },
      events: [
        { timeUnixNano: start, name: 'gen_ai.content.prompt', attributes: kvs({ 'gen_ai.prompt': 'user: hi' }), droppedAttributesCount: 0 },
        {
          timeUnixNano: start,
          name: 'gen_ai.content.completion',
          attributes: kvs({ 'gen_ai.completion': 'hello!' }),
          droppedAttributesCount: 0,
        },
      ],
    });
    assert.equal(row.costSource, 'provided');
    assert.equal(row.costMicros, 650);
    assert.equal(row.priceKey, null);
    assert.equal(row.inputContent, 'user: hi');
    assert.equal(row.outputContent, 'hello!');
  });
});

describe('plain and unknown spans', () => {
  it('keeps an HTTP span as a plain span', () => {
    const row = one({
      name: 'GET /health',
      kind: 2,
      attrs: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
    });
    assert.equal(row.spanKind, 'span');
    assert.equal(row.kind, 'server');
    assert.equal(row.provider, null);
    assert.equal(row.costSource, null);
    assert.equal(row.costMicros, null);
    assert.equal(JSON.parse(row.attributes)['http.response.status_code'], 200);
  });

  it('marks an unpriceable LLM span as unknown cost', () => {
    const row = one({ attrs: { 'gen_ai.request.model': 'my-private-model-7b', 'gen_ai.usage.input_tokens': 10 } });
    assert.equal(row.costSource, 'unknown');
    assert.equal(row.costMicros, null);
  });

  it('gives a failed call without usage no cost, not "unpriced" (providers do not bill a 429 or a timeout)', () => {
    const failed = { code: 2, message: '429 Too Many Requests' };
    const rateLimited = one({ status: failed, attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' } });
    assert.deepEqual([rateLimited.spanKind, rateLimited.requestModel, rateLimited.costSource, rateLimited.costMicros], ['llm', 'gpt-4o', null, null]);
    const failedAfterUsage = one({ status: failed, attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000 } });
    assert.equal(failedAfterUsage.costSource, 'computed', 'reported usage is billed, failed or not');
    const noUsage = one({ attrs: { 'gen_ai.request.model': 'gpt-4o' } });
    assert.equal(noUsage.costSource, 'unknown', 'a call that succeeded without reporting usage cannot be priced');
  });

  it('ignores token counts no call can have, which would overflow the 64-bit columns', () => {
    const huge = one({
      attrs: {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 9223372036854776000,
        'gen_ai.usage.output_tokens': '99999999999999999999',
        'gen_ai.usage.cache_read.input_tokens': MAX_TOKEN_COUNT + 1,
        'gen_ai.usage.reasoning_tokens': -5,
      },
    });
    assert.deepEqual(
      [huge.inputTokens, huge.outputTokens, huge.cacheReadTokens, huge.reasoningTokens, huge.costMicros],
      [null, null, null, null, null]
    );
    assert.equal(JSON.parse(huge.attributes)['gen_ai.usage.input_tokens'], '9223372036854775808', 'the attribute itself is kept');
    const max = one({ attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': MAX_TOKEN_COUNT, 'gen_ai.usage.output_tokens': '7' } });
    assert.deepEqual([max.inputTokens, max.outputTokens], [MAX_TOKEN_COUNT, 7]);
    assert.ok(max.costMicros !== null && Number.isSafeInteger(max.costMicros));
    const cost = (usd: number) => one({ attrs: { 'gen_ai.request.model': 'my-private-model-7b', 'llm.cost.total': usd } }).costMicros;
    assert.deepEqual([cost(MAX_CALL_USD), cost(MAX_CALL_USD * 10)], [MAX_CALL_USD * 1e6, null]);
  });

  it('takes service.name from the resource and defaults it', () => {
    const r1 = normalizeRequest(request([span()], { 'service.name': 'checkout' }), { nowNs: NOW_NS });
    assert.equal(r1.rows[0]!.service, 'checkout');
    const r2 = normalizeRequest(request([span()], {}), { nowNs: NOW_NS });
    assert.equal(r2.rows[0]!.service, 'unknown_service');
  });
});

describe('validation', () => {
  it('rejects bad spans individually and keeps the rest', () => {
    const good = span();
    const req = request([
      good,
      span({ traceId: '0'.repeat(32) }),
      span({ traceId: 'xyz' }),
      span({ spanId: '0'.repeat(16) }),
      span({ parentSpanId: 'abc' }),
      span({ startTimeUnixNano: 0n }),
      span({ startTimeUnixNano: NOW_NS + 2n * 86_400_000_000_000n }),
      span({ startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS - 1n }),
      span({ endTimeUnixNano: 0n }),
      // Starts now, ends more than two days ahead.
      span({ startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS + 3n * 86_400_000_000_000n }),
    ]);
    const r = normalizeRequest(req, { nowNs: NOW_NS });
    assert.equal(r.rows.length, 1);
    assert.equal(r.rows[0]!.spanId, good.spanId);
    assert.equal(r.rejected, 9);
    assert.match(r.errorMessage, /^9 span\(s\) rejected: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]: invalid traceId/);
    assert.deepEqual(r.rejectedByReason, {
      invalid_trace_id: 2,
      invalid_span_id: 1,
      invalid_parent_span_id: 1,
      invalid_start_time: 1,
      future_timestamp: 2,
      invalid_end_time: 2,
    });
  });

  it('accepts upper-case ids, an all-zero parent, and a start less than a day ahead', () => {
    const s = span({
      traceId: 'ABCDEF0123456789ABCDEF0123456789',
      parentSpanId: '0000000000000000',
      startTimeUnixNano: NOW_NS + 3_600_000_000_000n,
      endTimeUnixNano: NOW_NS + 3_600_000_000_001n,
    });
    const r = normalizeRequest(request([s]), { nowNs: NOW_NS });
    assert.equal(r.rejected, 0, r.errorMessage);
    assert.equal(r.rows[0]!.traceId, 'abcdef0123456789abcdef0123456789');
    assert.equal(r.rows[0]!.parentSpanId, '');
    assert.equal(r.rows[0]!.durationNs, 1n);
  });

  it('keeps nanosecond timestamps exact', () => {
    const start = 1_768_478_400_123_456_789n;
    const r = normalizeRequest(request([span({ startTimeUnixNano: start, endTimeUnixNano: start + 7n })]), { nowNs: NOW_NS });
    assert.equal(r.rows[0]!.startNs, start);
    assert.equal(r.rows[0]!.endNs, start + 7n);
  });
});

describe('limits and encoding', () => {
  it('truncates huge values and flags the span', () => {
    const huge = 'x'.repeat(DEFAULT_LIMITS.maxStringLength + 5000);
    const row = one({ attrs: { 'input.value': huge, small: 'ok' } });
    const attrs = JSON.parse(row.attributes) as Record<string, unknown>;
    assert.equal((attrs['input.value'] as string).length, DEFAULT_LIMITS.maxStringLength);
    assert.equal(attrs.small, 'ok');
    assert.equal(attrs['pyflare.truncated'], true);
    assert.deepEqual(attrs['pyflare.truncated_keys'], ['input.value']);
    assert.equal(row.truncated, true);
    assert.ok(row.inputContent!.length <= DEFAULT_LIMITS.maxContentLength);
    // Cut to the content limit, the content is no longer the attribute's value.
    assert.equal(row.inputContent === attrs['input.value'], row.inputContentKey === 'input.value');
  });

  it('caps the attribute count', () => {
    const many: Record<string, number> = {};
    for (let i = 0; i < DEFAULT_LIMITS.maxAttributes + 10; i++) {
      many[`k${i}`] = i;
    }
    const row = one({ attrs: many });
    const attrs = JSON.parse(row.attributes) as Record<string, unknown>;
    assert.equal(Object.keys(attrs).filter((k) => k.startsWith('k')).length, DEFAULT_LIMITS.maxAttributes);
    assert.equal(row.truncated, true);
  });

  it('makes broken UTF-16 well-formed and keeps 64-bit ints exact', () => {
    const row = one({
      name: 'bad \ud800 name',
      attrs: { s: 'a\udc00b\u0000c', big: 9007199254740993n, neg: -5n, d: 1.5, nan: Number.NaN },
    });
    assert.equal(row.name, 'bad \ufffd name');
    const attrs = JSON.parse(row.attributes) as Record<string, unknown>;
    assert.equal(attrs.s, 'a\ufffdb\u0000c');
    assert.equal(attrs.big, '9007199254740993', 'beyond 2^53: kept as a decimal string');
    assert.equal(attrs.neg, -5);
    assert.equal(attrs.d, 1.5);
    assert.equal(attrs.nan, 'NaN');
  });

  it('renders bytes, arrays and kvlists as JSON', () => {
    const s = span();
    s.attributes = [
      { key: 'b', value: { kind: 'bytes', value: new Uint8Array([1, 2, 255]) } },
      {
        key: 'kv',
        value: {
          kind: 'kvlist',
          value: [
            { key: 'x', value: { kind: 'int', value: 1n } },
            { key: 'y', value: { kind: 'array', value: [{ kind: 'bool', value: true }, { kind: 'empty' }] } },
          ],
        },
      },
    ];
    const r = normalizeRequest(request([s]), { nowNs: NOW_NS });
    assert.deepEqual(JSON.parse(r.rows[0]!.attributes), { b: 'AQL/', kv: { x: 1, y: [true, null] } });
  });
});

describe('usdToMicros', () => {
  it('rounds half up on decimal digits', () => {
    assert.equal(usdToMicros(0.0000025), 3);
    assert.equal(usdToMicros(0.0000024), 2);
    assert.equal(usdToMicros(1.5), 1_500_000);
    assert.equal(usdToMicros(0), 0);
    assert.equal(usdToMicros(123456.789012), 123_456_789_012);
  });
});
