import type { z } from 'zod';
import { HttpError } from './errors.js';

/**
 * Where a value comes from: `query` (query string), `body` (JSON body) or the name of a path
 * parameter. Names the problem when it concerns the whole value (a body that is not an object).
 */
export type Where = 'query' | 'body' | (string & {});

const article = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
const list = (values: readonly unknown[]) => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');

/**
 * Messages of zod's built-in checks, short and meant to follow the parameter's name
 * (`limit: must be <= 1000`). Messages a schema sets itself (`'is required'`) take precedence.
 */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) {
        return 'is required';
      }
      if (iss.expected === 'int') {
        return 'must be an integer';
      }
      return `must be ${article(iss.expected)}`;
    case 'too_small': {
      const min = String(iss.minimum);
      if (iss.origin === 'string') {
        return iss.minimum === 1 ? 'must not be empty' : `must have at least ${min} characters`;
      }
      if (iss.origin === 'array' || iss.origin === 'set') {
        return `must have at least ${min} item${iss.minimum === 1 ? '' : 's'}`;
      }
      return `must be ${iss.inclusive === false ? '>' : '>='} ${min}`;
    }
    case 'too_big': {
      const max = String(iss.maximum);
      if (iss.origin === 'string') {
        return `must have at most ${max} characters`;
      }
      if (iss.origin === 'array' || iss.origin === 'set') {
        return `must have at most ${max} items`;
      }
      return `must be ${iss.inclusive === false ? '<' : '<='} ${max}`;
    }
    case 'invalid_value':
      return iss.values.length === 1 ? `must be ${list(iss.values)}` : `must be one of ${list(iss.values)}`;
    case 'invalid_format':
      return iss.format === 'regex' && 'pattern' in iss && iss.pattern ? `must match ${String(iss.pattern)}` : `must be a valid ${iss.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}`;
    case 'invalid_union':
      return 'is not valid';
    default:
      return undefined;
  }
};

/** The messages of a failed parse, each leading with the parameter or field path. */
export function issueMessages(issues: readonly z.core.$ZodIssue[], where: Where): string[] {
  const unknown = where === 'body' ? 'unknown field' : 'unknown parameter';
  return issues.flatMap((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => `${path ? `${path}.` : ''}${k}: ${unknown}`);
    }
    return [`${path || where}: ${i.message}`];
  });
}

/**
 * zod parse that answers 400 naming the bad parameter first: `foo: unknown parameter`,
 * `limit: must be <= 1000`, `scopes.0: must be one of ingest, read, admin`.
 */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: Where): z.output<T> {
  const r = schema.safeParse(value, { error: errorMap });
  if (!r.success) {
    throw new HttpError(400, issueMessages(r.error.issues, where).join('; '));
  }
  return r.data;
}
