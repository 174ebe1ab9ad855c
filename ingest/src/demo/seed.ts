// Demo data over real OTLP/HTTP JSON: ~30 traces across three services, an agent calling a
// tool and LLMs (OpenAI and Anthropic, GenAI attributes with cache-read tokens), a RAG search
// with embeddings, and one failing trace. Deterministic for a given seed and clock.
//
//   npx tsx ingest/src/demo/seed.ts --url http://127.0.0.1:4318 --api-key K [--seed 42] [--traces 30]
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Rand } from './random.js';
import {
  attr,
  resourceSpans,
  type JsonAttr,
  type JsonSpan,
  type OtlpJsonRequest,
  type ServiceName,
} from './traffic.js';

export type DemoRequest = OtlpJsonRequest;

export interface SeedOptions {
  seed?: number;
  traces?: number;
  /** Clock (ms); traces end before it, spread over the previous 30 minutes. */
  now?: number;
}

/** Builds the requests (one per service) without sending them. */
export function buildDemoRequests(opts: SeedOptions = {}): { requests: DemoRequest[]; traceIds: string[]; spanCount: number } {
  const prng = new Rand(opts.seed ?? 42);
  const rand = () => prng.next();
  const nTraces = opts.traces ?? 30;
  const now = opts.now ?? Date.now();
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      s += Math.floor(rand() * 16).toString(16);
    }
    return /^0+$/.test(s) ? `1${s.slice(1)}` : s;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const byService = new Map<ServiceName, JsonSpan[]>();
  const traceIds: string[] = [];
  let spanCount = 0;

  const add = (svc: ServiceName, s: JsonSpan) => {
    const list = byService.get(svc) ?? [];
    list.push(s);
    byService.set(svc, list);
    spanCount++;
  };
  const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

  const span = (
    traceId: string,
    parent: string,
    name: string,
    kind: number,
    startMs: number,
    durMs: number,
    attributes: JsonAttr[],
    status: JsonSpan['status'] = { code: 0 },
    events: JsonSpan['events'] = []
  ): JsonSpan => ({
    traceId,
    spanId: hex(16),
    parentSpanId: parent,
    name,
    kind,
    startTimeUnixNano: ns(startMs),
    endTimeUnixNano: ns(startMs + durMs),
    attributes,
    events,
    status,
  });

  /** An HTTP server span at the root of a trace. */
  const httpRoot = (traceId: string, method: string, route: string, startMs: number, status = 200): JsonSpan =>
    span(traceId, '', `${method} ${route}`, 2, startMs, 0, [
      attr('http.request.method', method),
      attr('http.route', route),
      attr('http.response.status_code', status),
    ]);

  const chat = (
    traceId: string,
    parent: string,
    startMs: number,
    m: { provider: 'openai' | 'anthropic'; request: string; response: string },
    opts2: { fail?: boolean; user: string; session: string; prompt: string }
  ): { span: JsonSpan; end: number } => {
    const dur = int(400, 3200);
    const input = int(300, 4000);
    const cacheRead = rand() < 0.6 ? Math.floor(input * (0.3 + rand() * 0.5)) : 0;
    const cacheWrite = m.provider === 'anthropic' && cacheRead === 0 ? Math.floor(input * 0.4) : 0;
    const output = int(40, 700);
    const attrs: JsonAttr[] = [
      attr('gen_ai.operation.name', 'chat'),
      attr('gen_ai.provider.name', m.provider),
      attr('gen_ai.request.model', m.request),
      attr('gen_ai.request.temperature', 0.2),
      attr('gen_ai.request.max_tokens', 1024),
      attr('gen_ai.conversation.id', opts2.session),
      attr('user.id', opts2.user),
      attr('server.address', m.provider === 'openai' ? 'api.openai.com' : 'api.anthropic.com'),
      attr(
        'gen_ai.input.messages',
        JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: opts2.prompt }] }])
      ),
    ];
    if (opts2.fail) {
      attrs.push(attr('error.type', '429'));
      return {
        span: span(traceId, parent, `chat ${m.request}`, 3, startMs, dur / 4, attrs, {
          code: 2,
          message: 'rate limit exceeded (HTTP 429)',
        }),
        end: startMs + dur / 4,
      };
    }
    attrs.push(
      attr('gen_ai.response.model', m.response),
      attr('gen_ai.response.id', `resp_${hex(12)}`),
      attr('gen_ai.response.finish_reasons', ['stop']),
      attr('gen_ai.usage.input_tokens', input),
      attr('gen_ai.usage.output_tokens', output),
      attr(
        'gen_ai.output.messages',
        JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: 'Here is what I found.' }], finish_reason: 'stop' },
        ])
      )
    );
    if (cacheRead > 0) {
      attrs.push(attr('gen_ai.usage.cache_read.input_tokens', cacheRead));
    }
    if (cacheWrite > 0) {
      attrs.push(attr('gen_ai.usage.cache_creation.input_tokens', cacheWrite));
    }
    return { span: span(traceId, parent, `chat ${m.request}`, 3, startMs, dur, attrs), end: startMs + dur };
  };

  const OPENAI = { provider: 'openai' as const, request: 'gpt-4o', response: 'gpt-4o-2024-08-06' };
  const OPENAI_MINI = { provider: 'openai' as const, request: 'gpt-4o-mini', response: 'gpt-4o-mini-2024-07-18' };
  const ANTHROPIC = { provider: 'anthropic' as const, request: 'claude-sonnet-4-20250514', response: 'claude-sonnet-4-20250514' };
  const prompts = ['Where is my order #4411?', 'Cancel my subscription', 'Do you ship to Norway?', 'Reset my password'];
  const errorAt = Math.min(nTraces - 1, 7);

  for (let t = 0; t < nTraces; t++) {
    const traceId = hex(32);
    traceIds.push(traceId);
    const start = now - 30 * 60_000 + (t * 29 * 60_000) / nTraces + int(0, 20_000);
    const user = `user-${int(1, 9)}`;
    const session = `sess-${hex(8)}`;
    const prompt = prompts[int(0, prompts.length - 1)]!;
    const kind = t === errorAt ? 'error' : t % 3;

    if (kind === 0 || kind === 'error') {
      // support-agent: HTTP -> agent -> LLM (OpenAI) -> tool -> LLM (Anthropic)
      const root = httpRoot(traceId, 'POST', '/v1/chat', start, kind === 'error' ? 502 : 200);
      const agent = span(traceId, root.spanId, 'invoke_agent support-bot', 1, start + 5, 0, [
        attr('gen_ai.operation.name', 'invoke_agent'),
        attr('gen_ai.agent.name', 'support-bot'),
        attr('gen_ai.agent.id', 'agent_support_v3'),
        attr('gen_ai.provider.name', 'openai'),
        attr('gen_ai.conversation.id', session),
      ]);
      let cursor = start + 10;
      const first = chat(traceId, agent.spanId, cursor, OPENAI, { fail: kind === 'error', user, session, prompt });
      add('support-agent', first.span);
      cursor = first.end + 5;
      if (kind === 'error') {
        root.status = { code: 2, message: 'upstream LLM error' };
        agent.status = { code: 2, message: 'rate limit exceeded (HTTP 429)' };
      } else {
        const toolDur = int(30, 400);
        add(
          'support-agent',
          span(traceId, agent.spanId, 'execute_tool search_orders', 1, cursor, toolDur, [
            attr('gen_ai.operation.name', 'execute_tool'),
            attr('gen_ai.tool.name', 'search_orders'),
            attr('gen_ai.tool.type', 'function'),
            attr('gen_ai.tool.call.id', `call_${hex(10)}`),
            attr('gen_ai.tool.call.arguments', JSON.stringify({ customer: user, limit: 5 })),
          ])
        );
        cursor += toolDur + 5;
        const second = chat(traceId, agent.spanId, cursor, ANTHROPIC, { user, session, prompt });
        add('support-agent', second.span);
        cursor = second.end;
      }
      agent.endTimeUnixNano = ns(cursor + 2);
      root.endTimeUnixNano = ns(cursor + 5);
      add('support-agent', agent);
      add('support-agent', root);
    } else if (kind === 1) {
      // checkout-api: HTTP -> DB -> LLM (gpt-4o-mini) for a fraud-check summary
      const root = httpRoot(traceId, 'POST', '/checkout', start);
      const db = int(5, 60);
      add(
        'checkout-api',
        span(traceId, root.spanId, 'SELECT orders', 3, start + 2, db, [
          attr('db.system.name', 'postgresql'),
          attr('db.operation.name', 'SELECT'),
        ])
      );
      const llm = chat(traceId, root.spanId, start + db + 5, OPENAI_MINI, { user, session, prompt: 'Summarize fraud signals' });
      add('checkout-api', llm.span);
      root.endTimeUnixNano = ns(llm.end + 8);
      add('checkout-api', root);
    } else {
      // rag-search: HTTP -> embeddings -> retrieval -> LLM
      const root = httpRoot(traceId, 'GET', '/search', start);
      const embDur = int(40, 180);
      add(
        'rag-search',
        span(traceId, root.spanId, 'embeddings text-embedding-3-small', 3, start + 3, embDur, [
          attr('gen_ai.operation.name', 'embeddings'),
          attr('gen_ai.provider.name', 'openai'),
          attr('gen_ai.request.model', 'text-embedding-3-small'),
          attr('gen_ai.usage.input_tokens', int(8, 60)),
        ])
      );
      const retDur = int(10, 90);
      add(
        'rag-search',
        span(traceId, root.spanId, 'retrieval products-index', 1, start + embDur + 5, retDur, [
          attr('gen_ai.operation.name', 'retrieval'),
          attr('gen_ai.data_source.id', 'products-index'),
          attr('db.system.name', 'qdrant'),
        ])
      );
      const llm = chat(traceId, root.spanId, start + embDur + retDur + 10, rand() < 0.5 ? OPENAI : ANTHROPIC, {
        user,
        session,
        prompt: 'Answer from the retrieved products',
      });
      add('rag-search', llm.span);
      root.endTimeUnixNano = ns(llm.end + 4);
      add('rag-search', root);
    }
  }

  const requests: DemoRequest[] = [...byService.entries()].map(([svc, spans]) => ({
    resourceSpans: [resourceSpans(svc, '0.1.0', spans)],
  }));
  return { requests, traceIds, spanCount };
}

/** Posts the demo data; resolves with what was sent once every request got a 2xx. */
export async function seedDemo(
  opts: SeedOptions & { url: string; apiKey?: string }
): Promise<{ traces: number; spans: number; traceIds: string[] }> {
  const { requests, traceIds, spanCount } = buildDemoRequests(opts);
  const endpoint = `${opts.url.replace(/\/+$/, '')}/v1/traces`;
  for (const body of requests) {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`POST ${endpoint} answered ${res.status}: ${text}`);
    }
  }
  return { traces: traceIds.length, spans: spanCount, traceIds };
}

const cliSchema = z.object({
  url: z.string().url().default('http://127.0.0.1:4318'),
  'api-key': z.string().optional(),
  seed: z.coerce.number().int().default(42),
  traces: z.coerce.number().int().min(1).max(10_000).default(30),
});

async function cli(argv: string[]): Promise<void> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      raw[k] = v ?? argv[++i] ?? '';
    }
  }
  const parsed = cliSchema.safeParse({ ...raw, 'api-key': raw['api-key'] ?? process.env.PYFLARE_API_KEY });
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
    process.exit(2);
  }
  const o = parsed.data;
  const r = await seedDemo({ url: o.url, apiKey: o['api-key'], seed: o.seed, traces: o.traces });
  console.log(`sent ${r.traces} traces (${r.spans} spans) to ${o.url}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
