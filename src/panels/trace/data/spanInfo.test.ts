import { attributeText, sortedAttributes, spanExceptions } from './spanInfo';

describe('spanExceptions', () => {
  it('reads OpenTelemetry exception events', () => {
    expect(
      spanExceptions({
        logs: [
          { timestamp: 5, name: 'retry', fields: [] },
          {
            timestamp: 7,
            name: 'exception',
            fields: [
              { key: 'exception.type', value: 'KeyError' },
              { key: 'exception.message', value: 'order 4711' },
              { key: 'exception.stacktrace', value: 'Traceback…' },
            ],
          },
        ],
      })
    ).toEqual([{ type: 'KeyError', message: 'order 4711', stacktrace: 'Traceback…', timestamp: 7 }]);
  });
});

describe('sortedAttributes', () => {
  it('sorts by key with message content last', () => {
    const keys = sortedAttributes([
      { key: 'gen_ai.input.messages', value: '[]' },
      { key: 'llm.input_messages.0.message.role', value: 'user' },
      { key: 'b', value: 1 },
      { key: 'a', value: 2 },
    ]).map((kv) => kv.key);
    expect(keys).toEqual(['a', 'b', 'gen_ai.input.messages', 'llm.input_messages.0.message.role']);
  });
});

describe('attributeText', () => {
  it('shows structures as JSON', () => {
    expect(attributeText({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(attributeText(null)).toBe('');
    expect(attributeText(true)).toBe('true');
  });
});
