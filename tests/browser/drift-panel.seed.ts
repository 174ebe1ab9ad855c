// Seeds the REAL PyFlare service with a model whose drift is known, through its public APIs:
// inference records (POST /api/v1/inferences, labels inline), a fixed reference window
// (POST /api/v1/drift/reference), per-feature alerts (PUT /api/v1/drift/models/:id), LLM
// calls as OTLP spans (behaviour drift of gpt-4o in chat-svc), then POST /api/v1/drift/evaluate.
//
// fraud-detector, 48 hourly buckets of 120 records, reference = buckets 0..5 (720 rows, so the
// engine picks KS / chi-square / z-tests with p-values):
// - account_age_days: new accounts surge from bucket 30 (hard drift);
// - payment_method: crypto rises from bucket 36 (categorical drift);
// - basket_value: creeps up slowly over the whole range (drift coming);
// - the other features stay put; labels: accuracy drops from bucket 40 (concept drift);
// - embeddings (8 dims) move from bucket 38.
import { getJson, postJson, waitForSpans, type Service } from './lib/service';
import { exportRequest, type SpanSpec } from './lib/otlp';

export const H = 3_600_000;
export const SEED_MODEL = 'fraud-detector';
export const SEED_BUCKETS = 48;
const PER_BUCKET = 120;
const LLM_PER_BUCKET = 30;

/** Features the seed drifts, hardest first. */
export const SEED_DRIFTED = ['account_age_days', 'payment_method', 'basket_value'];
export const SEED_STABLE = [
  'session_length_s',
  'distance_km',
  'items_in_cart',
  'hour_of_day',
  'country',
  'device_type',
  'is_new_customer',
  'previous_orders',
  'avg_item_price',
];

function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const pick = <T>(items: readonly T[], weights: readonly number[]) => {
    let u = uniform() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < items.length; i++) {
      u -= weights[i]!;
      if (u <= 0) {
        return items[i]!;
      }
    }
    return items[items.length - 1]!;
  };
  return { uniform, normal, pick };
}

const PAYMENT = ['card', 'paypal', 'bank_transfer', 'crypto', 'gift_card'];
const COUNTRY = ['DE', 'FR', 'US', 'GB', 'NL', 'ES'];
const DEVICE = ['ios', 'android', 'web'];

function records(t0: number) {
  const r = rng(20250115);
  const out: unknown[] = [];
  for (let b = 0; b < SEED_BUCKETS; b++) {
    const young = b >= 30 ? Math.min(1, (b - 30) / 4) : 0;
    const crypto = b >= 36 ? Math.min(1, (b - 36) / 3) : 0;
    const creep = b / SEED_BUCKETS;
    const concept = b >= 40;
    for (let i = 0; i < PER_BUCKET; i++) {
      const newAccount = r.uniform() < 0.15 + 0.55 * young;
      const age = newAccount ? r.uniform() * 30 : 60 + Math.abs(r.normal()) * 700;
      const fraud = r.uniform() < (newAccount ? 0.35 : 0.05);
      const prob = Math.min(0.999, Math.max(0.001, (fraud ? 0.8 : 0.15) + 0.08 * r.normal()));
      const predicted = prob >= 0.5 ? 'fraud' : 'ok';
      const correct = r.uniform() < (concept ? 0.6 : 0.93);
      out.push({
        id: `seed-${b}-${i}`,
        modelId: SEED_MODEL,
        modelVersion: 'v3',
        timestamp: t0 + b * H + Math.floor((i * H) / PER_BUCKET),
        features: {
          account_age_days: Number(age.toFixed(1)),
          basket_value: Number(Math.exp(3.6 + 0.5 * r.normal() + 0.55 * creep).toFixed(2)),
          payment_method: r.pick(PAYMENT, [0.5, 0.28, 0.14, 0.02 + 0.25 * crypto, 0.06]),
          session_length_s: Number((180 + 60 * r.normal()).toFixed(0)),
          distance_km: Number(Math.abs(20 * r.normal()).toFixed(1)),
          items_in_cart: 1 + Math.floor(r.uniform() * 6),
          hour_of_day: Math.floor(r.uniform() * 24),
          country: r.pick(COUNTRY, [0.3, 0.2, 0.2, 0.15, 0.1, 0.05]),
          device_type: r.pick(DEVICE, [0.4, 0.35, 0.25]),
          is_new_customer: r.uniform() < 0.2,
          previous_orders: Math.floor(Math.abs(8 * r.normal())),
          avg_item_price: Number((25 + 6 * r.normal()).toFixed(2)),
        },
        prediction: { class: predicted, probability: Number(prob.toFixed(4)) },
        // Query embeddings move a little from bucket 38 (a new product line).
        embedding: Array.from({ length: 8 }, (_, d) => Number(((b >= 38 && d < 3 ? 0.9 : 0) + r.normal()).toFixed(3))),
        label: correct ? predicted : predicted === 'fraud' ? 'ok' : 'fraud',
      });
    }
  }
  return out;
}

function llmSpans(t0: number, bucket: number): SpanSpec[] {
  const r = rng(777 + bucket);
  const shifted = bucket >= 34;
  return Array.from({ length: LLM_PER_BUCKET }, (_, i) => {
    const u = r.uniform();
    return {
      spanId: (bucket * 1000 + i + 1).toString(16).padStart(16, '0'),
      name: 'chat gpt-4o',
      kind: 3,
      startMs: t0 + bucket * H + Math.floor((i * H) / LLM_PER_BUCKET),
      durationMs: Math.max(50, (shifted ? 2400 : 850) + 120 * r.normal()),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': Math.max(1, Math.round(500 + 50 * r.normal())),
        'gen_ai.usage.output_tokens': Math.max(1, Math.round((shifted ? 620 : 210) + 30 * r.normal())),
        'llm.response.finish_reason': shifted ? (u < 0.4 ? 'length' : 'stop') : u < 0.05 ? 'length' : 'stop',
      },
    };
  });
}

async function ok(what: string, p: Promise<{ status: number; json: unknown }>) {
  const { status, json } = await p;
  if (status < 200 || status >= 300) {
    throw new Error(`${what}: HTTP ${status} ${JSON.stringify(json).slice(0, 500)}`);
  }
  return json;
}

export interface Seeded {
  /** Time range of the seeded buckets (whole hours). */
  range: { from: number; to: number };
}

/** Seeds the service (see the file comment) and evaluates every bucket. */
export async function seedDrift(svc: Service): Promise<Seeded> {
  const t0 = Math.floor(Date.now() / H) * H - SEED_BUCKETS * H;
  const all = records(t0);
  for (let i = 0; i < all.length; i += 2000) {
    await ok(
      'POST /api/v1/inferences',
      postJson(`${svc.httpUrl}/api/v1/inferences`, svc.apiKey, all.slice(i, i + 2000))
    );
  }
  for (const modelId of [SEED_MODEL, 'gpt-4o']) {
    await ok(
      'POST /api/v1/drift/reference',
      postJson(`${svc.httpUrl}/api/v1/drift/reference`, svc.apiKey, {
        modelId,
        type: 'fixed',
        from: t0,
        to: t0 + 6 * H,
      })
    );
  }
  const model = (await ok('GET model', getJson(`${svc.httpUrl}/api/v1/drift/models/${SEED_MODEL}`, svc.apiKey))) as {
    settings: Record<string, unknown>;
  };
  const put = await fetch(`${svc.httpUrl}/api/v1/drift/models/${SEED_MODEL}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${svc.apiKey}` },
    body: JSON.stringify({ ...model.settings, alerts: { enabled: true, perFeature: true } }),
  });
  if (!put.ok) {
    throw new Error(`PUT model settings: HTTP ${put.status} ${await put.text()}`);
  }
  for (let b = 0; b < SEED_BUCKETS; b++) {
    const traceId = (0xd1f7000 + b).toString(16).padStart(32, '0');
    await ok(
      'OTLP export',
      postJson(`${svc.otlpHttpUrl}/v1/traces`, svc.apiKey, exportRequest('chat-svc', traceId, llmSpans(t0, b)))
    );
  }
  await waitForSpans(svc, SEED_BUCKETS * LLM_PER_BUCKET, 60_000);
  // The engine evaluates at most so many buckets per call; call until nothing is due.
  for (let i = 0; i < 20; i++) {
    const r = (await ok(
      'POST /api/v1/drift/evaluate',
      postJson(`${svc.httpUrl}/api/v1/drift/evaluate`, svc.apiKey, {})
    )) as { evaluated?: { buckets?: number; behind?: boolean } };
    if (!r.evaluated?.behind && !r.evaluated?.buckets) {
      break;
    }
  }
  return { range: { from: t0, to: t0 + SEED_BUCKETS * H } };
}
