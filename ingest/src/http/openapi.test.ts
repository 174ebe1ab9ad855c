// The OpenAPI document against the routes the service really registers (collected by the
// onRoute hook of the REST listener), and its structure: every $ref resolves, every path
// parameter is declared, every operation answers something.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import { getJson, postJson, startTestService, type TestService } from '../testing/service.js';
import { openApiDocument } from './openapi.js';
import * as svcApi from './serviceApi.js';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type Json = Record<string, unknown>;

let svc: TestService;
before(async () => {
  svc = await startTestService({}, { now: () => NOW });
});
after(async () => {
  await svc.stop();
});

/** `/api/v1/traces/:traceId` -> `/api/v1/traces/{traceId}` */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function pointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) {
    return undefined;
  }
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = isObject(at) ? at[key] : Array.isArray(at) ? at[Number(key)] : undefined;
    if (at === undefined) {
      return undefined;
    }
  }
  return at;
}

/** Structural problems of an OpenAPI 3.x document (an empty list when there are none). */
function openApiProblems(doc: Json): string[] {
  const problems: string[] = [];
  if (typeof doc.openapi !== 'string' || !/^3\.\d+\.\d+$/.test(doc.openapi)) {
    problems.push(`openapi: ${String(doc.openapi)} is not 3.x.y`);
  }
  const info = doc.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    problems.push('info: needs title and version');
  }
  const components = isObject(doc.components) ? doc.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const checkSecurity = (where: string, sec: unknown) => {
    if (sec === undefined) {
      return;
    }
    if (!Array.isArray(sec)) {
      problems.push(`${where}: security must be an array`);
      return;
    }
    for (const req of sec) {
      for (const name of Object.keys(isObject(req) ? req : {})) {
        if (!(name in schemes)) {
          problems.push(`${where}: security scheme ${name} is not declared`);
        }
      }
    }
  };
  checkSecurity('document', doc.security);

  // Every $ref anywhere resolves inside the document.
  const walk = (v: unknown, where: string): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${where}/${i}`));
    } else if (isObject(v)) {
      if (typeof v.$ref === 'string' && pointer(doc, v.$ref) === undefined) {
        problems.push(`${where}: $ref ${v.$ref} does not resolve`);
      }
      for (const [k, x] of Object.entries(v)) {
        walk(x, `${where}/${k}`);
      }
    }
  };
  walk(doc, '#');

  const paths = isObject(doc.paths) ? doc.paths : {};
  const operationIds = new Set<string>();
  for (const [path, itemRaw] of Object.entries(paths)) {
    if (!path.startsWith('/')) {
      problems.push(`${path}: paths start with /`);
    }
    const item = isObject(itemRaw) ? itemRaw : {};
    const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
    const params = (list: unknown, where: string): Json[] => {
      if (list === undefined) {
        return [];
      }
      if (!Array.isArray(list)) {
        problems.push(`${where}: parameters must be an array`);
        return [];
      }
      return list.map((p) => (isObject(p) && typeof p.$ref === 'string' ? pointer(doc, p.$ref) : p)).filter(isObject);
    };
    const shared = params(item.parameters, path);
    for (const method of Object.keys(item)) {
      if (method !== 'parameters' && method !== 'summary' && method !== 'description' && !(METHODS as readonly string[]).includes(method)) {
        problems.push(`${path}: unknown key ${method}`);
      }
    }
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) {
        continue;
      }
      const where = `${method.toUpperCase()} ${path}`;
      if (!isObject(op)) {
        problems.push(`${where}: not an object`);
        continue;
      }
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) {
          problems.push(`${where}: duplicate operationId ${op.operationId}`);
        }
        operationIds.add(op.operationId);
      }
      checkSecurity(where, op.security);
      const all = [...shared, ...params(op.parameters, where)];
      const seen = new Set<string>();
      for (const p of all) {
        if (typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(String(p.in))) {
          problems.push(`${where}: a parameter needs name and in (query, header, path or cookie)`);
          continue;
        }
        const key = `${String(p.in)}:${p.name}`;
        if (seen.has(key)) {
          problems.push(`${where}: parameter ${key} declared twice`);
        }
        seen.add(key);
        if (p.schema === undefined && p.content === undefined) {
          problems.push(`${where}: parameter ${p.name} needs a schema`);
        }
        if (p.in === 'path') {
          if (p.required !== true) {
            problems.push(`${where}: path parameter ${p.name} must be required`);
          }
          if (!templated.has(p.name)) {
            problems.push(`${where}: path parameter ${p.name} is not in the path`);
          }
        }
      }
      for (const name of templated) {
        if (!seen.has(`path:${name}`)) {
          problems.push(`${where}: path parameter {${name}} is not declared`);
        }
      }
      if (op.requestBody !== undefined && (!isObject(op.requestBody) || !isObject(op.requestBody.content))) {
        problems.push(`${where}: requestBody needs content`);
      }
      const responses = op.responses;
      if (!isObject(responses) || Object.keys(responses).length === 0) {
        problems.push(`${where}: needs responses`);
        continue;
      }
      for (const [code, r] of Object.entries(responses)) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) {
          problems.push(`${where}: response code ${code}`);
        }
        const resolved = isObject(r) && typeof r.$ref === 'string' ? pointer(doc, r.$ref) : r;
        if (!isObject(resolved) || typeof resolved.description !== 'string') {
          problems.push(`${where}: response ${code} needs a description`);
        }
      }
    }
  }
  return problems;
}

describe('OpenAPI document', () => {
  it('documents every registered REST route, and only those', async () => {
    const doc = (await getJson<Json>(`${svc.apiUrl}/api/v1/openapi.json`, {})).body;
    const paths = doc.paths as Record<string, Record<string, unknown>>;
    const registered = svc.service.routes.rest.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    const apiRoutes = registered.filter((r) => r.url.startsWith('/api/v1/') || ['/healthz', '/readyz', '/metrics'].includes(r.url));
    assert.ok(apiRoutes.length >= 40, `found ${apiRoutes.length} routes`);
    const missing = apiRoutes
      .filter((r) => paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined)
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], 'routes missing from /api/v1/openapi.json');
    const known = new Set(registered.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    const extra = Object.entries(paths).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => (METHODS as readonly string[]).includes(m) && !known.has(`${m} ${p}`))
        .map((m) => `${m.toUpperCase()} ${p}`)
    );
    assert.deepEqual(extra, [], 'documented but not served');
  });

  it('is structurally valid OpenAPI 3.x', () => {
    const doc = openApiDocument();
    assert.deepEqual(openApiProblems(doc), []);
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    for (const [name, s] of Object.entries(schemas)) {
      assert.equal(s.$schema, undefined, `${name}: no $schema inside components`);
      assert.ok(s.type !== undefined || s.oneOf !== undefined || s.anyOf !== undefined || s.allOf !== undefined, `${name}: has a type`);
    }
  });

  it('finds the problems it is meant to find', () => {
    const broken: Json = {
      openapi: '2.0',
      info: { title: 't', version: '1' },
      components: { schemas: {} },
      paths: {
        '/a/{id}': { get: { parameters: [{ name: 'other', in: 'path', required: true, schema: {} }], responses: { '200': json('#/components/schemas/Nope') } } },
        '/b': { post: { security: [{ oauth: [] }], responses: {} } },
      },
    };
    assert.deepEqual(openApiProblems(broken), [
      'openapi: 2.0 is not 3.x.y',
      '#/paths//a/{id}/get/responses/200/content/application/json/schema: $ref #/components/schemas/Nope does not resolve',
      'GET /a/{id}: path parameter other is not in the path',
      'GET /a/{id}: path parameter {id} is not declared',
      'POST /b: security scheme oauth is not declared',
      'POST /b: needs responses',
    ]);
  });

  it('describes the answers the routes give', async () => {
    const check = <S extends z.ZodType>(schema: S, body: unknown, what: string) => {
      const r = schema.safeParse(body);
      assert.ok(r.success, `${what}: ${r.success ? '' : JSON.stringify(r.error.issues)}`);
    };
    check(svcApi.healthResponse, (await getJson(`${svc.apiUrl}/healthz`, {})).body, 'healthz');
    check(svcApi.statusResponse, (await getJson(`${svc.apiUrl}/api/v1/status`)).body, 'status');
    check(svcApi.keysResponse, (await getJson(`${svc.apiUrl}/api/v1/keys`)).body, 'keys');
    check(svcApi.catalogValuesResponse, (await getJson(`${svc.apiUrl}/api/v1/catalog/services`)).body, 'services');
    const intake = await postJson(`${svc.apiUrl}/api/v1/inferences`, [
      { modelId: 'openapi', timestamp: NOW - 1000, features: { a: 1 } },
      { modelId: '', timestamp: NOW - 1000 },
    ]);
    assert.equal(intake.status, 207);
    check(svcApi.inferenceIntakeResponse, await intake.json(), 'inferences 207');
    check(svcApi.driftModelsResponse, (await getJson(`${svc.apiUrl}/api/v1/drift/models`)).body, 'drift models');
    check(svcApi.driftModelResponse, (await getJson(`${svc.apiUrl}/api/v1/drift/models/openapi`)).body, 'drift model');
    check(svcApi.driftReferenceResponse, (await getJson(`${svc.apiUrl}/api/v1/drift/reference?modelId=openapi`)).body, 'reference');
    check(svcApi.driftTimelineResponse, (await getJson(`${svc.apiUrl}/api/v1/drift/timeline?modelId=openapi`)).body, 'timeline');
    check(svcApi.driftHeatmapResponse, (await getJson(`${svc.apiUrl}/api/v1/drift/heatmap?modelId=openapi`)).body, 'heatmap');
    check(svcApi.alertsResponse, (await getJson(`${svc.apiUrl}/api/v1/alerts`)).body, 'alerts');
    check(svcApi.evaluateResponse, await (await postJson(`${svc.apiUrl}/api/v1/drift/evaluate`, {})).json(), 'evaluate');
    check(svcApi.deletionsResponse, (await getJson(`${svc.apiUrl}/api/v1/admin/deletions`)).body, 'deletions');
    const noId = await postJson(`${svc.apiUrl}/api/v1/admin/deletions`, { reason: 'x' });
    assert.equal(noId.status, 400);
    assert.equal(((await noId.json()) as { error: string }).error, 'userId: is required (or sessionId)');
  });
});

function json(ref: string): Json {
  return { description: 'x', content: { 'application/json': { schema: { $ref: ref } } } };
}
