// Inference records of two ML models for the drift engine (POST /api/v1/inferences):
//
//   fraud-detector   payments fraud classifier; stable for the whole timeline.
//   churn-predictor  subscription churn classifier; DRIFTS at `driftAtMs`: a marketing campaign
//                    brings a cohort of new, cheap-plan customers, so tenure_months drops,
//                    plan shifts from pro/enterprise to basic, support_tickets and the predicted
//                    churn probability rise. region and monthly_spend stay the same, so 3 of 5
//                    features drift (dataset drift at the default share of 0.5), plus the
//                    prediction.
//
// The default drift moment (see run.ts) is the top of the hour three hours before the
// generator starts: with the default 6 h backfill, the drift dashboards show ~3 calm hours,
// then the shift, and the drift alert of churn-predictor opens after two drifting hourly
// buckets.
import { randFor } from './random.js';

export const STABLE_MODEL = 'fraud-detector';
export const DRIFTING_MODEL = 'churn-predictor';
export const ML_MODELS = [STABLE_MODEL, DRIFTING_MODEL] as const;
export type MlModel = (typeof ML_MODELS)[number];

/** The features of churn-predictor that shift at the drift moment. */
export const DRIFTING_FEATURES = ['tenure_months', 'plan', 'support_tickets'] as const;

export interface InferenceRecord {
  id: string;
  modelId: MlModel;
  modelVersion: string;
  timestamp: number;
  features: Record<string, number | string | boolean>;
  prediction: { class: string; probability: number };
  label?: string;
}

export interface InferenceOptions {
  seed: number;
  startMs: number;
  /** Records per second per model. */
  rate: number;
  driftAtMs: number;
}

const STREAM_BASE = 100;
const COUNTRIES: ReadonlyArray<readonly [string, number]> = [
  ['US', 40],
  ['DE', 15],
  ['GB', 12],
  ['FR', 10],
  ['BR', 8],
  ['IN', 8],
  ['JP', 7],
];

export function recordTime(opts: InferenceOptions, index: number): number {
  return opts.startMs + (index * 1000) / opts.rate;
}

/** Record `index` of a model's timeline (pure function of the options and the index). */
export function buildRecord(opts: InferenceOptions, model: MlModel, index: number): InferenceRecord {
  const r = randFor(opts.seed, STREAM_BASE + ML_MODELS.indexOf(model), index);
  const timestamp = Math.round(recordTime(opts, index) + r.range(0, 900 / opts.rate));
  const id = `${model}-${opts.seed}-${timestamp}-${index}`;
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  if (model === STABLE_MODEL) {
    const amount = Math.round(r.logNormal(60, 0.9) * 100) / 100;
    const deviceAgeDays = r.int(0, 900);
    const vip = r.chance(0.08);
    const p = sigmoid(-4 + amount / 250 - deviceAgeDays / 300 + (vip ? -1 : 0) + r.normal(0, 0.8));
    const fraud = p > 0.5;
    return {
      id,
      modelId: model,
      modelVersion: 'v7',
      timestamp,
      features: { amount, country: r.weighted(COUNTRIES), device_age_days: deviceAgeDays, is_vip: vip },
      prediction: { class: fraud ? 'fraud' : 'ok', probability: Math.round(p * 1000) / 1000 },
      // Labels arrive for a share of the records (chargebacks confirm fraud).
      ...(r.chance(0.3) ? { label: r.chance(0.9) ? (fraud ? 'fraud' : 'ok') : fraud ? 'ok' : 'fraud' } : {}),
    };
  }
  const drifted = timestamp >= opts.driftAtMs;
  const tenure = Math.max(0, Math.round(drifted ? r.logNormal(2, 0.8) : r.logNormal(20, 0.7)));
  const plan = r.weighted<string>(
    drifted
      ? [
          ['basic', 75],
          ['pro', 20],
          ['enterprise', 5],
        ]
      : [
          ['basic', 35],
          ['pro', 45],
          ['enterprise', 20],
        ]
  );
  const tickets = Math.max(0, Math.round(r.normal(drifted ? 4 : 1, 1.2)));
  const spend = Math.round(r.logNormal(45, 0.5) * 100) / 100;
  const region = r.pick(['na', 'emea', 'apac', 'latam']);
  const p = sigmoid(-1.5 - tenure / 12 + tickets * 0.5 + (plan === 'basic' ? 0.6 : 0) + r.normal(0, 0.5));
  return {
    id,
    modelId: model,
    modelVersion: 'v2',
    timestamp,
    features: { tenure_months: tenure, plan, support_tickets: tickets, monthly_spend: spend, region },
    prediction: { class: p > 0.5 ? 'churn' : 'stay', probability: Math.round(p * 1000) / 1000 },
  };
}
