// The shared REST validation: every message leads with the parameter or field it is about.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { HttpError } from './errors.js';
import { parse } from './validate.js';

const query = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    step: z.coerce.number().positive().optional(),
    status: z.enum(['all', 'ok', 'error']).optional(),
    key: z.string().min(1, 'is required').max(5).optional(),
    id: z.string().regex(/^[0-9a-f]+$/).optional(),
  })
  .strict();
const body = z
  .object({
    name: z.string().min(1),
    scopes: z.array(z.enum(['read', 'admin'])).min(1),
    scope: z.object({ dimension: z.string() }).strict().optional(),
  })
  .strict();

function error(schema: z.ZodType, value: unknown, where: string): string {
  try {
    parse(schema, value, where);
  } catch (e) {
    assert.ok(e instanceof HttpError);
    assert.equal(e.statusCode, 400);
    return e.message;
  }
  assert.fail('parsed');
}

describe('parse', () => {
  it('returns the parsed value', () => {
    assert.deepEqual(parse(query, { limit: '10' }, 'query'), { limit: 10 });
  });

  it('names unknown query parameters first', () => {
    assert.equal(error(query, { foo: '1' }, 'query'), 'foo: unknown parameter');
    assert.equal(error(query, { foo: '1', bar: '2', limit: '0' }, 'query'), 'limit: must be >= 1; foo: unknown parameter; bar: unknown parameter');
  });

  it('names unknown body fields by their path', () => {
    assert.equal(error(body, { name: 'x', scopes: ['read'], extra: 1 }, 'body'), 'extra: unknown field');
    assert.equal(error(body, { name: 'x', scopes: ['read'], scope: { dimension: 'model', value: 'a' } }, 'body'), 'scope.value: unknown field');
  });

  it('words range, type, enum and format errors after the name', () => {
    assert.equal(error(query, { limit: '5000' }, 'query'), 'limit: must be <= 1000');
    assert.equal(error(query, { limit: 'abc' }, 'query'), 'limit: must be a number');
    assert.equal(error(query, { limit: '1.5' }, 'query'), 'limit: must be an integer');
    assert.equal(error(query, { step: '0' }, 'query'), 'step: must be > 0');
    assert.equal(error(query, { status: 'bad' }, 'query'), 'status: must be one of all, ok, error');
    assert.equal(error(query, { key: 'abcdef' }, 'query'), 'key: must have at most 5 characters');
    assert.equal(error(query, { id: 'xyz' }, 'query'), 'id: must match /^[0-9a-f]+$/');
    assert.equal(error(body, { scopes: [] }, 'body'), 'name: is required; scopes: must have at least 1 item');
    assert.equal(error(body, { name: '', scopes: ['root'] }, 'body'), 'name: must not be empty; scopes.0: must be one of read, admin');
  });

  it('keeps the messages a schema sets', () => {
    assert.equal(error(query, { key: '' }, 'query'), 'key: is required');
  });

  it('names the whole value only when it is the problem', () => {
    assert.equal(error(body, 'text', 'body'), 'body: must be an object');
    assert.equal(error(body, undefined, 'body'), 'body: is required');
  });
});
