// Model-name and provider normalization for price lookup. Instrumentations report the same model
// in many spellings (`openai/gpt-4o-2024-08-06`, `models/gemini-1.5-pro-002`,
// `us.anthropic.claude-3-5-sonnet-20240620-v1:0`, `anthropic/claude-3.5-sonnet`), so a name is
// expanded into a few candidate forms and each is matched against the table's prefixes.

/** Characters that may follow a matched prefix: a date, version or variant suffix starts here. */
const BOUNDARY = new Set(['-', ':', '@', '_']);

/** Bedrock cross-region inference profile prefixes (`us.anthropic.claude-...`). */
const BEDROCK_REGION_RE = /^(?:us|eu|apac|au|jp|ca|us-gov|global)\./;
/** Bedrock model-vendor namespaces (`anthropic.claude-...`, `meta.llama3-...`). */
const BEDROCK_VENDOR_RE = /^(?:anthropic|meta|amazon|mistral|cohere|ai21|deepseek|openai|qwen|google|xai|writer)\./;
/** `claude-3.5-sonnet` / `claude-sonnet-4.5` (OpenRouter style) -> dashed versions. */
const CLAUDE_DOTTED_RE = /(\d)\.(\d)/g;

/**
 * Lower-cased forms of a model name to try, most literal first: the whole name, the part after
 * the last `/` (drops `openai/`, `models/`, `bedrock/converse/`, ARNs...), then without a Bedrock
 * region prefix, then without a Bedrock vendor namespace, plus dashed Claude versions.
 */
export function modelCandidates(model: string): string[] {
  const out: string[] = [];
  const add = (s: string): void => {
    if (s !== '' && !out.includes(s)) {
      out.push(s);
    }
  };
  const full = model.trim().toLowerCase();
  add(full);
  const last = full.slice(full.lastIndexOf('/') + 1);
  add(last);
  const noRegion = last.replace(BEDROCK_REGION_RE, '');
  add(noRegion);
  add(noRegion.replace(BEDROCK_VENDOR_RE, ''));
  for (const c of [...out]) {
    if (c.startsWith('claude')) {
      add(c.replace(CLAUDE_DOTTED_RE, '$1-$2'));
    }
  }
  return out;
}

/** Prefixes of `candidate` that end at a boundary (or at its end), longest first. */
export function boundaryPrefixes(candidate: string): string[] {
  const out = [candidate];
  for (let i = candidate.length - 1; i > 0; i--) {
    if (BOUNDARY.has(candidate[i] ?? '')) {
      out.push(candidate.slice(0, i));
    }
  }
  return out;
}

/** True when `prefix` covers `candidate`: equal, or followed by a boundary character. */
export function prefixMatches(prefix: string, candidate: string): boolean {
  if (candidate === prefix) {
    return true;
  }
  return candidate.startsWith(prefix) && BOUNDARY.has(candidate[prefix.length] ?? '');
}

const PROVIDER_ALIASES: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure',
  'azure.ai.openai': 'azure',
  'az.ai.openai': 'azure',
  azure_openai: 'azure',
  'azure-openai': 'azure',
  'azure.ai.inference': 'azure',
  'az.ai.inference': 'azure',
  azure_ai: 'azure',
  anthropic: 'anthropic',
  'aws.bedrock': 'bedrock',
  bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  aws_bedrock: 'bedrock',
  amazon_bedrock: 'bedrock',
  'amazon-bedrock': 'bedrock',
  'gcp.vertex_ai': 'vertex',
  vertex_ai: 'vertex',
  vertexai: 'vertex',
  vertex: 'vertex',
  google_vertex: 'vertex',
  'google-vertex': 'vertex',
  'gcp.gemini': 'google',
  'gcp.gen_ai': 'google',
  gemini: 'google',
  google: 'google',
  google_genai: 'google',
  'google-genai': 'google',
  google_ai_studio: 'google',
  googleai: 'google',
  mistral_ai: 'mistral',
  mistral: 'mistral',
  mistralai: 'mistral',
  groq: 'groq',
  deepseek: 'deepseek',
  x_ai: 'xai',
  xai: 'xai',
  'x.ai': 'xai',
  grok: 'xai',
};

/** Maps the many spellings of a provider (`gen_ai.provider.name`, `gen_ai.system`, `llm.provider`) to one name. */
export function canonicalProvider(provider: string | null | undefined): string | null {
  if (provider == null) {
    return null;
  }
  const p = provider.trim().toLowerCase();
  if (p === '') {
    return null;
  }
  return PROVIDER_ALIASES[p] ?? p;
}

/** Table providers whose prices apply to a span from `provider` (a hosting platform serves other vendors' models). */
const COMPATIBLE: Readonly<Record<string, readonly string[]>> = {
  azure: ['azure', 'openai'],
  bedrock: ['bedrock', 'anthropic'],
  vertex: ['vertex', 'google', 'anthropic', 'mistral'],
};

export function preferredTableProviders(canonical: string | null): readonly string[] {
  if (canonical === null) {
    return [];
  }
  return COMPATIBLE[canonical] ?? [canonical];
}

/** A `/.../` override pattern compiled case-insensitively, or null if `match` is a plain name. Throws on a bad regex. */
export function compileMatchRegex(match: string): RegExp | null {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(match);
  if (!m) {
    return null;
  }
  const flags = new Set((m[2] ?? '').split('').filter((f) => f !== 'g' && f !== 'y'));
  flags.add('i');
  return new RegExp(m[1] ?? '', [...flags].join(''));
}
