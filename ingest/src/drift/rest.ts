// REST routes of the drift engine (PyFlare's resource names):
//   POST /api/v1/inferences                 ingest  records: JSON array/object or NDJSON, gzip ok;
//                                                   200 all stored, 207 {accepted, rejected, errors}
//   POST /api/v1/inferences/labels          ingest  labels for stored records, by id
//   GET  /api/v1/drift/models               read    models with records or settings
//   GET  /api/v1/drift/models/:id           read    settings, reference, latest scores, active alerts
//   PUT  /api/v1/drift/models/:id           admin   replace settings (thresholds, tests, alerts, reference)
//   GET  /api/v1/drift/timeline             read    scores per bucket (modelId, driftType, feature, service, from, to)
//   GET  /api/v1/drift/heatmap              read    feature x bucket scores (modelId, driftType, from, to)
//   GET  /api/v1/drift/reference            read    the reference of a model (modelId)
//   POST /api/v1/drift/reference            admin   set a fixed/rolling window (JSON) or upload a dataset
//                                                   (JSON records, NDJSON or CSV with ?modelId=)
//   GET  /api/v1/drift/alerts               read    drift alerts (modelId, state, driftType, from, to)
//   POST /api/v1/drift/alerts/:id/resolve   admin   resolve an alert by hand
//   GET  /api/v1/alerts                     read    all alerts (drift today), newest first
//   POST /api/v1/drift/evaluate             admin   evaluate due buckets now
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { OverloadedError } from '../errors.js';
import { HttpError } from '../http/errors.js';
import { modelConfigSchema, referenceSchema } from './config.js';
import { DRIFT_TYPES_STORED } from './evaluate.js';
import { alertText, seriesLabels } from './frames.js';
import type { DriftService } from './index.js';
import {
  BodyError,
  csvToReferenceItems,
  decodeItems,
  validateInferences,
  validateLabels,
  validateReferenceRows,
  type RecordError,
} from './records.js';
import type { AlertRow, ResultRow } from './store.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const MAX_ERRORS = 1000;

function mediaType(h: string | undefined): string {
  return (h ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readBody(req: FastifyRequest, stream: Readable, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > cap) {
      stream.destroy();
      throw new HttpError(413, `request body exceeds ${cap} bytes`);
    }
    chunks.push(b);
  }
  let body = Buffer.concat(chunks, total);
  const enc = String(req.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (enc !== '' && enc !== 'identity') {
    try {
      if (enc === 'gzip' || enc === 'x-gzip') {
        body = await gunzip(body, { maxOutputLength: cap });
      } else if (enc === 'deflate') {
        body = await inflate(body, { maxOutputLength: cap });
      } else {
        throw new HttpError(415, `unsupported content encoding "${enc}": use gzip, deflate or none`);
      }
    } catch (e) {
      if (e instanceof HttpError) {
        throw e;
      }
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new HttpError(413, `decompressed request body exceeds ${cap} bytes`);
      }
      throw new HttpError(400, `cannot decompress ${enc} body: ${(e as Error).message}`);
    }
  }
  return body.toString('utf8');
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new HttpError(
      400,
      r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : where}: ${i.message}`).join('; ')
    );
  }
  return r.data;
}

function items(body: unknown, req: FastifyRequest): { items: unknown[]; errors: RecordError[] } {
  try {
    return decodeItems(typeof body === 'string' ? body : '', mediaType(req.headers['content-type']));
  } catch (e) {
    if (e instanceof BodyError) {
      throw new HttpError(e.status, e.message);
    }
    throw e;
  }
}

function capErrors(errors: RecordError[]): { errors: RecordError[]; errorsTruncated?: true } {
  const sorted = [...errors].sort((a, b) => a.index - b.index);
  return sorted.length > MAX_ERRORS
    ? { errors: sorted.slice(0, MAX_ERRORS), errorsTruncated: true }
    : { errors: sorted };
}

const num = z.coerce.number();
const driftTypeParam = z.enum([...DRIFT_TYPES_STORED, 'all'] as [string, ...string[]]).default('all');
const rangeParams = {
  from: num.int().nonnegative().optional(),
  to: num.int().nonnegative().optional(),
};
export const timelineQuery = z.object({
  modelId: z.string().min(1).max(200).optional(),
  driftType: driftTypeParam,
  feature: z.string().max(200).optional(),
  service: z.string().max(200).optional(),
  ...rangeParams,
});
export const heatmapQuery = z.object({
  modelId: z.string().min(1).max(200),
  driftType: driftTypeParam.default('feature'),
  service: z.string().max(200).optional(),
  ...rangeParams,
});
export const alertsQuery = z.object({
  modelId: z.string().max(200).optional(),
  state: z.enum(['active', 'resolved', 'all']).default('all'),
  driftType: driftTypeParam,
  limit: num.int().min(1).max(10_000).default(1000),
  ...rangeParams,
});
export const modelParam = z.object({ id: z.string().min(1).max(200) });
export const referenceQuery = z.object({
  modelId: z.string().min(1).max(200).optional(),
  name: z.string().max(200).optional(),
});
export const windowBody = z.object({ modelId: z.string().min(1).max(200) }).passthrough();
export const datasetBody = z.object({
  modelId: z.string().min(1).max(200),
  type: z.literal('dataset'),
  name: z.string().max(200).optional(),
  records: z.array(z.unknown()).min(1).max(1_000_000),
});

function alertJson(a: AlertRow): Record<string, unknown> {
  return {
    kind: 'drift',
    id: a.id,
    modelId: a.modelId,
    service: a.service || undefined,
    driftType: a.driftType,
    feature: a.feature || undefined,
    state: a.state,
    openedAt: new Date(a.openedMs).toISOString(),
    openedAtMs: a.openedMs,
    resolvedAt: a.resolvedMs === null ? null : new Date(a.resolvedMs).toISOString(),
    resolvedAtMs: a.resolvedMs,
    resolvedBy: a.resolvedBy,
    score: a.score,
    peakScore: a.peakScore,
    threshold: a.threshold,
    bucketMs: a.bucketSizeMs,
    message: alertText(a),
  };
}

function resultJson(r: ResultRow): Record<string, unknown> {
  return {
    time: r.bucketMs,
    driftType: r.driftType,
    feature: r.feature || undefined,
    service: r.service || undefined,
    test: r.test,
    statistic: r.statistic,
    pValue: r.pValue,
    threshold: r.threshold,
    score: r.score,
    scoreThreshold: r.scoreThreshold,
    drift: r.drift,
    referenceCount: r.referenceCount,
    currentCount: r.currentCount,
  };
}

export async function registerDriftRoutes(app: FastifyInstance, drift: DriftService): Promise<void> {
  const { store, cfg } = drift;
  const range = (q: { from?: number; to?: number }) => {
    const to = q.to ?? cfg.now();
    return { from: q.from ?? to - 7 * 86_400_000, to };
  };

  await app.register(async (r) => {
    // Bodies are read here (size cap, gzip) and decoded per route: JSON, NDJSON or CSV.
    r.removeAllContentTypeParsers();
    r.addContentTypeParser('*', (req: FastifyRequest, payload, done) => {
      readBody(req, payload as Readable, cfg.maxBodyBytes).then(
        (text) => done(null, text),
        (err: Error) => done(err, undefined)
      );
    });

    r.post('/api/v1/inferences', { config: { scope: 'ingest' } }, async (req, reply) => {
      const decoded = items(req.body, req);
      const v = validateInferences(decoded.items, { nowMs: cfg.now() });
      const inserted = v.rows.length ? await drift.ingest(v.rows) : 0;
      const ids: Array<string | null> = new Array<string | null>(decoded.items.length).fill(null);
      v.rows.forEach((row, i) => (ids[v.indices[i]!] = row.id));
      // Undecodable NDJSON lines were already counted as items; their validation error says "Required".
      const badLines = new Set(decoded.errors.map((e) => e.index));
      const errors = [...decoded.errors, ...v.errors.filter((e) => !badLines.has(e.index))];
      const body = {
        accepted: v.rows.length,
        rejected: v.rejected,
        duplicates: v.rows.length - inserted,
        ids,
        ...capErrors(errors),
      };
      return reply.code(v.rejected > 0 ? 207 : 200).send(body);
    });

    r.post('/api/v1/inferences/labels', { config: { scope: 'ingest' } }, async (req, reply) => {
      const decoded = items(req.body, req);
      const v = validateLabels(decoded.items);
      let found: Set<string>;
      try {
        found = await drift.engine.applyLabels(v.rows);
      } catch (e) {
        throw new OverloadedError(`storing labels failed: ${(e as Error).message}`, { status: 503 });
      }
      const badLines = new Set(decoded.errors.map((e) => e.index));
      const errors = [...decoded.errors, ...v.errors.filter((e) => !badLines.has(e.index))];
      let accepted = 0;
      v.rows.forEach((row, i) => {
        if (found.has(row.id)) {
          accepted++;
        } else {
          errors.push({ index: v.indices[i]!, field: 'id', message: `no inference record with id "${row.id}"` });
        }
      });
      const rejected = decoded.items.length - accepted;
      return reply.code(rejected > 0 ? 207 : 200).send({ accepted, rejected, ...capErrors(errors) });
    });

    r.get('/api/v1/drift/models', { config: { scope: 'read' } }, async () => ({ models: await store.models() }));

    r.get('/api/v1/drift/models/:id', { config: { scope: 'read' } }, async (req, reply) => {
      const { id } = parse(modelParam, req.params, 'id');
      const { config, updatedMs } = await store.modelConfig(id);
      const model = (await store.models()).find((m) => m.modelId === id);
      const latest = await store.results({
        modelId: id,
        bucketSizeMs: cfg.bucketMs,
        fromMs: 0,
        toMs: Number.MAX_SAFE_INTEGER,
        feature: null,
        latestOnly: true,
      });
      if (!model && latest.length === 0) {
        return reply.code(404).send({ error: `no drift data or settings for model "${id}"` });
      }
      const active = await store.alerts({ state: 'active', modelId: id });
      return {
        modelId: id,
        records: model?.records ?? 0,
        firstRecordMs: model?.firstMs ?? null,
        lastRecordMs: model?.lastMs ?? null,
        settings: config,
        settingsUpdatedMs: updatedMs,
        bucketMs: cfg.bucketMs,
        latest: latest.map(resultJson),
        activeAlerts: active.map(alertJson),
      };
    });

    r.put('/api/v1/drift/models/:id', { config: { scope: 'admin' } }, async (req) => {
      const { id } = parse(modelParam, req.params, 'id');
      let body: unknown;
      try {
        body = JSON.parse(String(req.body ?? ''));
      } catch {
        throw new HttpError(400, 'body: must be JSON model settings');
      }
      const config = parse(modelConfigSchema, body, 'body');
      await store.putModelConfig(id, config, cfg.now());
      return { modelId: id, settings: config };
    });

    r.get('/api/v1/drift/timeline', { config: { scope: 'read' } }, async (req) => {
      const q = parse(timelineQuery, req.query, 'query');
      const { from, to } = range(q);
      const rows = await store.results({
        modelId: q.modelId,
        service: q.service,
        driftTypes: q.driftType === 'all' ? [...DRIFT_TYPES_STORED] : [q.driftType],
        feature: q.feature ? q.feature : null,
        bucketSizeMs: cfg.bucketMs,
        fromMs: from - cfg.bucketMs + 1,
        toMs: to,
      });
      const series = new Map<
        string,
        { labels: Record<string, string>; threshold: number; points: Array<Record<string, unknown>> }
      >();
      for (const row of rows) {
        const key = JSON.stringify([row.modelId, row.service, row.driftType, row.feature]);
        const s = series.get(key) ?? { labels: seriesLabels(row), threshold: row.scoreThreshold, points: [] };
        s.threshold = row.scoreThreshold;
        s.points.push({ time: row.bucketMs, score: row.score, drift: row.drift, test: row.test });
        series.set(key, s);
      }
      return { bucketMs: cfg.bucketMs, from, to, series: [...series.values()] };
    });

    r.get('/api/v1/drift/heatmap', { config: { scope: 'read' } }, async (req) => {
      const q = parse(heatmapQuery, req.query, 'query');
      const { from, to } = range(q);
      const rows = await store.results({
        modelId: q.modelId,
        service: q.service,
        driftTypes: q.driftType === 'all' ? [...DRIFT_TYPES_STORED] : [q.driftType],
        feature: '*',
        bucketSizeMs: cfg.bucketMs,
        fromMs: from - cfg.bucketMs + 1,
        toMs: to,
      });
      const buckets = [...new Set(rows.map((x) => x.bucketMs))].sort((a, b) => a - b);
      const names = [
        ...new Set(rows.map((x) => (q.driftType === 'all' ? `${x.driftType}:${x.feature}` : x.feature))),
      ].sort();
      const bi = new Map(buckets.map((b, i) => [b, i]));
      const scores = names.map(() => buckets.map((): number | null => null));
      const drifted = names.map(() => buckets.map((): boolean | null => null));
      const fi = new Map(names.map((n, i) => [n, i]));
      for (const x of rows) {
        const f = fi.get(q.driftType === 'all' ? `${x.driftType}:${x.feature}` : x.feature)!;
        const b = bi.get(x.bucketMs)!;
        scores[f]![b] = x.score;
        drifted[f]![b] = x.drift;
      }
      return {
        modelId: q.modelId,
        driftType: q.driftType,
        bucketMs: cfg.bucketMs,
        buckets,
        features: names,
        scores,
        drift: drifted,
      };
    });

    r.get('/api/v1/drift/reference', { config: { scope: 'read' } }, async (req) => {
      const q = parse(referenceQuery.extend({ modelId: z.string().min(1).max(200) }), req.query, 'query');
      const { config, updatedMs } = await store.modelConfig(q.modelId);
      const ref = config.reference;
      return {
        modelId: q.modelId,
        reference: ref,
        configured: updatedMs !== null,
        dataset: ref.type === 'dataset' ? await store.dataset(ref.datasetId) : undefined,
      };
    });

    r.post('/api/v1/drift/reference', { config: { scope: 'admin' } }, async (req, reply) => {
      const q = parse(referenceQuery, req.query, 'query');
      const type = mediaType(req.headers['content-type']);
      const text = String(req.body ?? '');
      let modelId: string;
      let name: string;
      let records: unknown[];
      if (type === 'text/csv' || type === 'application/csv') {
        if (!q.modelId) {
          throw new HttpError(400, 'modelId: a CSV upload needs ?modelId=');
        }
        modelId = q.modelId;
        name = q.name ?? 'csv upload';
        try {
          records = csvToReferenceItems(text);
        } catch (e) {
          if (e instanceof BodyError) {
            throw new HttpError(e.status, e.message);
          }
          throw e;
        }
      } else {
        const decoded = items(text, req);
        const first = decoded.items[0];
        const isWindow =
          decoded.items.length === 1 &&
          typeof first === 'object' &&
          first !== null &&
          'type' in first &&
          !('features' in first);
        if (isWindow && (first as { type: unknown }).type !== 'dataset') {
          // A fixed or rolling window.
          const w = parse(windowBody, first, 'body');
          const { modelId: mid, ...spec } = w;
          const reference = parse(referenceSchema, spec, 'body');
          const { config } = await store.modelConfig(mid);
          await store.putModelConfig(mid, { ...config, reference }, cfg.now());
          return { modelId: mid, reference };
        }
        if (isWindow) {
          const d = parse(datasetBody, first, 'body');
          modelId = d.modelId;
          name = d.name ?? 'json upload';
          records = d.records;
        } else {
          if (!q.modelId) {
            throw new HttpError(
              400,
              'modelId: a dataset upload needs ?modelId= (or a JSON body {modelId, type: "dataset", records})'
            );
          }
          if (decoded.errors.length) {
            throw new HttpError(
              400,
              `dataset: ${decoded.errors
                .slice(0, 10)
                .map((e) => `#${e.index}: ${e.message}`)
                .join('; ')}`
            );
          }
          modelId = q.modelId;
          name = q.name ?? 'upload';
          records = decoded.items;
        }
      }
      const datasetId = `ds_${crypto.randomUUID()}`;
      const v = validateReferenceRows(records, modelId, datasetId);
      if (v.rejected > 0) {
        return reply
          .code(400)
          .send({
            error: `dataset: ${v.rejected} of ${records.length} rows are invalid; nothing was stored`,
            ...capErrors(v.errors),
          });
      }
      await store.putDataset(datasetId, modelId, name, v.rows, cfg.now());
      const { config } = await store.modelConfig(modelId);
      const reference = { type: 'dataset' as const, datasetId };
      await store.putModelConfig(modelId, { ...config, reference }, cfg.now());
      return reply.code(201).send({ modelId, reference, dataset: { datasetId, name, rowCount: v.rows.length } });
    });

    // One list, under the drift prefix and as the design's /api/v1/alerts resource.
    const listAlerts = async (req: FastifyRequest) => {
      const q = parse(alertsQuery, req.query, 'query');
      const alerts = await store.alerts({
        state: q.state,
        modelId: q.modelId || undefined,
        driftType: q.driftType,
        fromMs: q.from,
        toMs: q.to,
        limit: q.limit,
      });
      return { alerts: alerts.map(alertJson) };
    };
    r.get('/api/v1/drift/alerts', { config: { scope: 'read' } }, listAlerts);

    r.post('/api/v1/drift/alerts/:id/resolve', { config: { scope: 'admin' } }, async (req, reply) => {
      const { id } = parse(modelParam, req.params, 'id');
      const done = await store.resolveAlertManually(id, cfg.now());
      if (done) {
        return { alert: alertJson(done) };
      }
      const a = await store.alert(id);
      return a
        ? reply.code(409).send({ error: `alert ${id} is already resolved`, alert: alertJson(a) })
        : reply.code(404).send({ error: `alert ${id} not found` });
    });

    r.get('/api/v1/alerts', { config: { scope: 'read' } }, listAlerts);

    r.post('/api/v1/drift/evaluate', { config: { scope: 'admin' } }, async () => ({ evaluated: await drift.tick() }));
  });
}
