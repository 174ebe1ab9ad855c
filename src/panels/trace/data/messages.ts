import type { KeyValue } from './traceTree';

/** One piece of a chat message. */
export type ChatPart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  | { type: 'tool_result'; id: string; content: string }
  | { type: 'media'; text: string };

export interface ChatMessage {
  /** system | user | assistant | tool, or input | output for non-chat content. */
  role: string;
  name?: string;
  parts: ChatPart[];
  finishReason?: string;
}

export interface SpanConversation {
  input: ChatMessage[];
  output: ChatMessage[];
  /** Where the messages came from, shown as a hint in the details. */
  source: 'gen_ai' | 'openinference' | 'openllmetry' | 'content' | 'none';
}

/** What a span needs for its conversation (a subset of TraceSpan). */
export interface ConversationSource {
  spanKind: string;
  tags: KeyValue[];
  input: string;
  output: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Pretty JSON for arguments and structured content; strings stay as they are. */
function text(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v === null || v === undefined) {
    return '';
  }
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

/** JSON arguments given as a string are pretty-printed too. */
function jsonText(v: unknown): string {
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2);
      } catch {
        return v;
      }
    }
    return v;
  }
  return text(v);
}

function parseJson(s: string): unknown {
  const t = s.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) {
    return undefined;
  }
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

// LangChain and others name roles differently.
const ROLE_ALIASES: Record<string, string> = {
  human: 'user',
  ai: 'assistant',
  model: 'assistant',
  bot: 'assistant',
  developer: 'system',
  function: 'tool',
  ipython: 'tool',
};

function normalizeRole(v: unknown, fallback: string): string {
  const r = str(v)?.trim().toLowerCase();
  if (!r) {
    return fallback;
  }
  return ROLE_ALIASES[r] ?? r;
}

/** Content blocks of the GenAI conventions (`parts`), OpenAI (`content: [...]`) and Anthropic. */
function partsOf(v: unknown): ChatPart[] {
  if (v === null || v === undefined || v === '') {
    return [];
  }
  if (typeof v === 'string') {
    return [{ type: 'text', text: v }];
  }
  if (Array.isArray(v)) {
    return v.flatMap(partsOf);
  }
  if (!isObj(v)) {
    return [{ type: 'text', text: String(v) }];
  }
  const type = str(v.type)?.toLowerCase() ?? '';
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return [{ type: 'text', text: text(v.content ?? v.text ?? '') }];
    case 'reasoning':
    case 'thinking':
      return [{ type: 'reasoning', text: text(v.content ?? v.thinking ?? v.text ?? '') }];
    case 'tool_call':
    case 'tool_use':
    case 'function_call':
      return [
        {
          type: 'tool_call',
          id: str(v.id) ?? str(v.call_id) ?? '',
          name: str(v.name) ?? '',
          arguments: jsonText(v.arguments ?? v.input ?? ''),
        },
      ];
    case 'tool_call_response':
    case 'tool_result':
    case 'function_call_output':
      return [
        {
          type: 'tool_result',
          id: str(v.id) ?? str(v.tool_use_id) ?? str(v.call_id) ?? '',
          content: jsonText(v.response ?? v.content ?? v.output ?? v.result ?? ''),
        },
      ];
    case 'image':
    case 'image_url':
    case 'input_image':
    case 'audio':
    case 'input_audio':
    case 'blob':
    case 'uri':
    case 'file':
      return [{ type: 'media', text: `[${type.replace('input_', '')}${str(v.mime_type) ? ` ${v.mime_type}` : ''}]` }];
  }
  if (v.text !== undefined || v.content !== undefined) {
    return partsOf(v.text ?? v.content);
  }
  return [{ type: 'text', text: text(v) }];
}

/** OpenAI's `tool_calls: [{id, function: {name, arguments}}]`. */
function toolCallsOf(v: unknown): ChatPart[] {
  if (!Array.isArray(v)) {
    return [];
  }
  return v.filter(isObj).map((c) => {
    const fn = isObj(c.function) ? c.function : c;
    return {
      type: 'tool_call' as const,
      id: str(c.id) ?? '',
      name: str(fn.name) ?? '',
      arguments: jsonText(fn.arguments ?? ''),
    };
  });
}

function messageOf(v: unknown, fallbackRole: string): ChatMessage | undefined {
  if (typeof v === 'string') {
    return { role: fallbackRole, parts: [{ type: 'text', text: v }] };
  }
  if (!isObj(v)) {
    return undefined;
  }
  // A choice (`gen_ai.choice` events, OpenAI responses) wraps its message.
  if (isObj(v.message) && v.role === undefined) {
    const inner = messageOf(v.message, fallbackRole);
    const finish = str(v.finish_reason);
    return inner && finish ? { ...inner, finishReason: finish } : inner;
  }
  // LangChain serialisation: {lc, type: 'constructor', kwargs: {content, type}}.
  if (isObj(v.kwargs) && v.lc !== undefined) {
    return messageOf({ role: v.kwargs.type ?? v.kwargs.role, ...v.kwargs }, fallbackRole);
  }
  const role = normalizeRole(v.role ?? (typeof v.type === 'string' && !v.parts ? v.type : undefined), fallbackRole);
  const parts: ChatPart[] = [...partsOf(v.parts ?? v.content ?? v.text), ...toolCallsOf(v.tool_calls)];
  const toolCallId = str(v.tool_call_id);
  if (role === 'tool' && toolCallId && parts.every((p) => p.type === 'text')) {
    return {
      role,
      name: str(v.name),
      parts: [
        { type: 'tool_result', id: toolCallId, content: parts.map((p) => (p as { text: string }).text).join('\n') },
      ],
    };
  }
  if (parts.length === 0 && !v.role) {
    return undefined;
  }
  return { role, name: str(v.name), parts, finishReason: str(v.finish_reason) };
}

/**
 * Messages from decoded JSON: an array of messages, `{messages: [...]}`, an OpenAI response
 * (`{choices: [...]}`), one message object, or a list of strings.
 */
export function messagesFromJson(v: unknown, fallbackRole: string): ChatMessage[] | undefined {
  if (Array.isArray(v)) {
    const out = v.map((m) => messageOf(m, fallbackRole));
    return out.every((m): m is ChatMessage => m !== undefined) && out.length > 0 ? out : undefined;
  }
  if (!isObj(v)) {
    return undefined;
  }
  if (Array.isArray(v.messages)) {
    return messagesFromJson(v.messages, fallbackRole);
  }
  if (Array.isArray(v.choices)) {
    return messagesFromJson(v.choices, fallbackRole);
  }
  if (v.role !== undefined || v.parts !== undefined || isObj(v.message)) {
    const m = messageOf(v, fallbackRole);
    return m ? [m] : undefined;
  }
  return undefined;
}

/**
 * Indexed messages flattened into attributes, e.g. OpenInference
 * `llm.input_messages.0.message.role` / `.message.content` /
 * `.message.contents.0.message_content.text` / `.message.tool_calls.0.tool_call.function.name`,
 * or OpenLLMetry `gen_ai.prompt.0.role` / `.content`.
 */
function flattenedMessages(
  tags: KeyValue[],
  prefix: string,
  inner: string,
  fallbackRole: string
): ChatMessage[] | undefined {
  const byIndex = new Map<number, Obj>();
  for (const { key, value } of tags) {
    if (!key.startsWith(prefix)) {
      continue;
    }
    const m = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
    if (!m) {
      continue;
    }
    const rest = inner && m[2]!.startsWith(inner) ? m[2]!.slice(inner.length) : m[2]!;
    const idx = Number(m[1]);
    const obj = byIndex.get(idx) ?? {};
    obj[rest] = value;
    byIndex.set(idx, obj);
  }
  if (byIndex.size === 0) {
    return undefined;
  }
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, flat]) => {
      const parts: ChatPart[] = [];
      if (flat.content !== undefined) {
        parts.push(...partsOf(flat.content));
      }
      // contents.N.message_content.{type,text}
      const contents = collectIndexed(flat, /^contents\.(\d+)\.(?:message_content\.)?(.+)$/);
      for (const c of contents) {
        parts.push(...partsOf({ type: c.type ?? 'text', text: c.text, image_url: c['image.image.url'] }));
      }
      // tool_calls.N.tool_call.{id,function.name,function.arguments}
      const calls = collectIndexed(flat, /^tool_calls\.(\d+)\.(?:tool_call\.)?(.+)$/);
      for (const c of calls) {
        parts.push({
          type: 'tool_call',
          id: str(c.id) ?? '',
          name: str(c['function.name']) ?? str(c.name) ?? '',
          arguments: jsonText(c['function.arguments'] ?? c.arguments ?? ''),
        });
      }
      const role = normalizeRole(flat.role, fallbackRole);
      const toolCallId = str(flat.tool_call_id);
      if (role === 'tool' && toolCallId) {
        return {
          role,
          parts: [
            {
              type: 'tool_result' as const,
              id: toolCallId,
              content: parts.map((p) => ('text' in p ? p.text : '')).join('\n'),
            },
          ],
        };
      }
      return { role, name: str(flat.name), parts, finishReason: str(flat.finish_reason) };
    });
}

function collectIndexed(flat: Obj, re: RegExp): Obj[] {
  const byIndex = new Map<number, Obj>();
  for (const [k, v] of Object.entries(flat)) {
    const m = re.exec(k);
    if (m) {
      const o = byIndex.get(Number(m[1])) ?? {};
      o[m[2]!] = v;
      byIndex.set(Number(m[1]), o);
    }
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, o]) => o);
}

function tagValue(tags: KeyValue[], key: string): unknown {
  return tags.find((t) => t.key === key)?.value;
}

/** A JSON attribute given either as a JSON string or as an already decoded value. */
function jsonTag(tags: KeyValue[], key: string, fallbackRole: string): ChatMessage[] | undefined {
  const v = tagValue(tags, key);
  if (v === undefined || v === null || v === '') {
    return undefined;
  }
  const decoded = typeof v === 'string' ? parseJson(v) : v;
  if (decoded !== undefined) {
    return messagesFromJson(decoded, fallbackRole);
  }
  return typeof v === 'string' ? [{ role: fallbackRole, parts: [{ type: 'text', text: v }] }] : undefined;
}

/** Content of the frame's input/output field: JSON messages when it holds them, else plain text. */
function contentMessages(content: string, fallbackRole: string): ChatMessage[] {
  if (content.trim() === '') {
    return [];
  }
  const decoded = parseJson(content);
  if (decoded !== undefined) {
    const msgs = messagesFromJson(decoded, fallbackRole);
    if (msgs) {
      return msgs;
    }
    // Structured but not a chat (tool arguments, retriever documents): show it readable.
    return [{ role: fallbackRole, parts: [{ type: 'text', text: text(decoded) }] }];
  }
  return [{ role: fallbackRole, parts: [{ type: 'text', text: content }] }];
}

const CHAT_KINDS = new Set(['llm', 'embedding', 'span', '']);

/**
 * The conversation of a span, from the richest source present: the GenAI convention's
 * `gen_ai.input.messages` / `gen_ai.output.messages` (plus `gen_ai.system_instructions`),
 * OpenInference's flattened `llm.input_messages.N.*`, OpenLLMetry's `gen_ai.prompt.N.*`,
 * then the frame's `input` / `output` fields (which the service fills from any of these,
 * from events, or from plain prompt and completion text).
 */
export function spanConversation(span: ConversationSource): SpanConversation {
  const chat = CHAT_KINDS.has(span.spanKind);
  const inRole = chat ? 'user' : 'input';
  const outRole = chat ? 'assistant' : 'output';
  const tags = span.tags;

  const system = jsonTag(tags, 'gen_ai.system_instructions', 'system')?.map((m) => ({ ...m, role: 'system' }));
  const genIn = jsonTag(tags, 'gen_ai.input.messages', inRole);
  const genOut = jsonTag(tags, 'gen_ai.output.messages', outRole);
  if (genIn || genOut) {
    return {
      input: [...(system ?? []), ...(genIn ?? contentMessages(span.input, inRole))],
      output: genOut ?? contentMessages(span.output, outRole),
      source: 'gen_ai',
    };
  }

  const oiIn = flattenedMessages(tags, 'llm.input_messages.', 'message.', inRole);
  const oiOut = flattenedMessages(tags, 'llm.output_messages.', 'message.', outRole);
  if (oiIn || oiOut) {
    return {
      input: oiIn ?? contentMessages(span.input, inRole),
      output: oiOut ?? contentMessages(span.output, outRole),
      source: 'openinference',
    };
  }

  const olIn = flattenedMessages(tags, 'gen_ai.prompt.', '', inRole);
  const olOut = flattenedMessages(tags, 'gen_ai.completion.', '', outRole);
  if (olIn || olOut) {
    return {
      input: olIn ?? contentMessages(span.input, inRole),
      output: olOut ?? contentMessages(span.output, outRole),
      source: 'openllmetry',
    };
  }

  const input = contentMessages(span.input, inRole);
  const output = contentMessages(span.output, outRole);
  return {
    input: system ? [...system, ...input] : input,
    output,
    source: input.length + output.length > 0 || system ? 'content' : 'none',
  };
}
