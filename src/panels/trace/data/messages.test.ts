import { messagesFromJson, spanConversation, type ConversationSource } from './messages';

const span = (over: Partial<ConversationSource>): ConversationSource => ({
  spanKind: 'llm',
  tags: [],
  input: '',
  output: '',
  ...over,
});

describe('spanConversation', () => {
  it('reads the GenAI convention’s messages with system instructions and tool calls', () => {
    const c = spanConversation(
      span({
        tags: [
          { key: 'gen_ai.system_instructions', value: JSON.stringify([{ type: 'text', content: 'Be brief.' }]) },
          {
            key: 'gen_ai.input.messages',
            value: JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
              {
                role: 'assistant',
                parts: [{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: { city: 'Paris' } }],
              },
              { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: 'rainy, 57°F' }] },
            ]),
          },
          {
            key: 'gen_ai.output.messages',
            value: [{ role: 'assistant', parts: [{ type: 'text', content: 'Rainy.' }], finish_reason: 'stop' }],
          },
        ],
      })
    );
    expect(c.source).toBe('gen_ai');
    expect(c.input.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(c.input[0]!.parts).toEqual([{ type: 'text', text: 'Be brief.' }]);
    expect(c.input[2]!.parts).toEqual([
      { type: 'tool_call', id: 'c1', name: 'get_weather', arguments: '{\n  "city": "Paris"\n}' },
    ]);
    expect(c.input[3]!.parts).toEqual([{ type: 'tool_result', id: 'c1', content: 'rainy, 57°F' }]);
    expect(c.output).toEqual([
      { role: 'assistant', name: undefined, parts: [{ type: 'text', text: 'Rainy.' }], finishReason: 'stop' },
    ]);
  });

  it('reads OpenInference’s flattened messages', () => {
    const c = spanConversation(
      span({
        tags: [
          { key: 'llm.input_messages.1.message.role', value: 'user' },
          { key: 'llm.input_messages.1.message.contents.0.message_content.type', value: 'text' },
          { key: 'llm.input_messages.1.message.contents.0.message_content.text', value: 'Hi there' },
          { key: 'llm.input_messages.0.message.role', value: 'system' },
          { key: 'llm.input_messages.0.message.content', value: 'You help.' },
          { key: 'llm.output_messages.0.message.role', value: 'assistant' },
          { key: 'llm.output_messages.0.message.tool_calls.0.tool_call.function.name', value: 'search' },
          { key: 'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments', value: '{"q":"x"}' },
        ],
      })
    );
    expect(c.source).toBe('openinference');
    expect(c.input).toEqual([
      { role: 'system', name: undefined, parts: [{ type: 'text', text: 'You help.' }], finishReason: undefined },
      { role: 'user', name: undefined, parts: [{ type: 'text', text: 'Hi there' }], finishReason: undefined },
    ]);
    expect(c.output[0]!.parts).toEqual([{ type: 'tool_call', id: '', name: 'search', arguments: '{\n  "q": "x"\n}' }]);
  });

  it('reads OpenLLMetry’s gen_ai.prompt.N / gen_ai.completion.N', () => {
    const c = spanConversation(
      span({
        tags: [
          { key: 'gen_ai.prompt.0.role', value: 'user' },
          { key: 'gen_ai.prompt.0.content', value: 'Tell a joke' },
          { key: 'gen_ai.completion.0.content', value: 'No.' },
          { key: 'gen_ai.completion.0.finish_reason', value: 'stop' },
        ],
      })
    );
    expect(c.source).toBe('openllmetry');
    expect(c.input.map((m) => [m.role, m.parts])).toEqual([['user', [{ type: 'text', text: 'Tell a joke' }]]]);
    expect(c.output[0]).toMatchObject({ role: 'assistant', finishReason: 'stop' });
  });

  it('falls back to the frame’s input/output: JSON messages or plain text', () => {
    const json = spanConversation(
      span({ input: JSON.stringify([{ role: 'user', content: 'Q?' }]), output: 'Plain answer' })
    );
    expect(json.source).toBe('content');
    expect(json.input).toMatchObject([{ role: 'user', parts: [{ type: 'text', text: 'Q?' }] }]);
    expect(json.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', text: 'Plain answer' }] }]);

    const tool = spanConversation(span({ spanKind: 'tool', input: '{"order": 4711}', output: 'not found' }));
    expect(tool.input).toEqual([{ role: 'input', parts: [{ type: 'text', text: '{\n  "order": 4711\n}' }] }]);
    expect(tool.output[0]!.role).toBe('output');

    expect(spanConversation(span({}))).toEqual({ input: [], output: [], source: 'none' });
  });
});

describe('messagesFromJson', () => {
  it('reads OpenAI chat messages with tool calls and tool results', () => {
    const msgs = messagesFromJson(
      [
        { role: 'developer', content: [{ type: 'text', text: 'Rules' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"id":1}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'found' },
      ],
      'user'
    );
    expect(msgs?.map((m) => m.role)).toEqual(['system', 'assistant', 'tool']);
    expect(msgs?.[1]!.parts[0]).toEqual({ type: 'tool_call', id: 't1', name: 'lookup', arguments: '{\n  "id": 1\n}' });
    expect(msgs?.[2]!.parts).toEqual([{ type: 'tool_result', id: 't1', content: 'found' }]);
  });

  it('reads Anthropic content blocks, choices, LangChain roles and {messages}', () => {
    expect(
      messagesFromJson(
        [{ role: 'assistant', content: [{ type: 'tool_use', id: 'x', name: 'calc', input: { a: 1 } }] }],
        'user'
      )?.[0]!.parts[0]
    ).toMatchObject({ type: 'tool_call', name: 'calc' });
    expect(
      messagesFromJson(
        { choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: 'Hi' } }] },
        'assistant'
      )
    ).toEqual([{ role: 'assistant', name: undefined, parts: [{ type: 'text', text: 'Hi' }], finishReason: 'length' }]);
    expect(messagesFromJson({ messages: [{ type: 'human', content: 'yo' }] }, 'user')?.[0]!.role).toBe('user');
    expect(messagesFromJson(['a', 'b'], 'user')?.map((m) => m.parts)).toEqual([
      [{ type: 'text', text: 'a' }],
      [{ type: 'text', text: 'b' }],
    ]);
  });

  it('rejects JSON that is not a conversation', () => {
    expect(messagesFromJson({ order: 4711 }, 'user')).toBeUndefined();
    expect(messagesFromJson([1, 2], 'user')).toBeUndefined();
    expect(messagesFromJson([], 'user')).toBeUndefined();
  });
});
