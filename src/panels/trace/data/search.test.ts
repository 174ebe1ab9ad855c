import { agentTraceFrame } from '../testData';
import { parseSearch, searchSpans } from './search';
import { buildTraceTree } from './traceTree';

const tree = buildTraceTree(agentTraceFrame());
const find = (q: string) => searchSpans(tree.spans, q);

describe('parseSearch', () => {
  it('reads free text, key=value, durations and errors', () => {
    expect(parseSearch('chat  model=gpt-4o duration>1.5s error name="chat gpt"')).toEqual([
      { type: 'text', text: 'chat' },
      { type: 'field', key: 'model', value: 'gpt-4o' },
      { type: 'duration', op: '>', ms: 1500 },
      { type: 'error' },
      { type: 'field', key: 'name', value: 'chat gpt' },
    ]);
    expect(parseSearch('status:error dur<=250us')).toEqual([
      { type: 'error' },
      { type: 'duration', op: '<=', ms: 0.25 },
    ]);
    expect(parseSearch('   ')).toEqual([]);
  });
});

describe('searchSpans', () => {
  it('matches names, services and models as free text, case-insensitively', () => {
    expect(find('CHAT')).toEqual(['b2', 'd4']);
    expect(find('gpt-4o-mini')).toEqual(['d4']);
    expect(find('checkout-agent')).toHaveLength(5);
  });

  it('matches attributes, events and the prompt', () => {
    expect(find('gen_ai.request.temperature=0.2')).toEqual(['b2']);
    expect(find('temperature')).toEqual(['b2']);
    expect(find('refund policy')).toEqual(['b2']);
    expect(find('exception')).toEqual(['c3']);
  });

  it('matches span fields by key', () => {
    expect(find('kind=llm')).toEqual(['b2', 'd4']);
    expect(find('kind:retriever')).toEqual(['e5']);
    expect(find('service=nope')).toEqual([]);
  });

  it('finds errors and compares durations', () => {
    expect(find('error')).toEqual(['c3']);
    expect(find('duration>420ms')).toEqual(['a1', 'd4']);
    expect(find('dur<0.06s')).toEqual(['e5']);
  });

  it('ANDs terms', () => {
    expect(find('chat duration>420')).toEqual(['d4']);
  });
});
