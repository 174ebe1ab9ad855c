// Seeded synthetic inference records and LLM spans for tests and the benchmark: a stable
// regime and a shifted one (numeric mean, category mix, boolean rate, prediction mix,
// embedding mean, accuracy, LLM tokens/latency/finish reasons all move).
import { Rng } from './stats/index.js';

const COUNTRIES = ['DE', 'FR', 'UK', 'US'];
const NORMAL_MIX = [0.4, 0.3, 0.2, 0.1];
const SHIFTED_MIX = [0.1, 0.15, 0.25, 0.5];
const WORDS = [
  'fast',
  'slow',
  'great',
  'refund',
  'late',
  'broken',
  'love',
  'price',
  'support',
  'delivery',
  'again',
  'never',
];

function pick(rng: Rng, mix: readonly number[]): number {
  let u = rng.uniform();
  for (let i = 0; i < mix.length; i++) {
    u -= mix[i]!;
    if (u < 0) {
      return i;
    }
  }
  return mix.length - 1;
}

export interface GeneratedRecord {
  id: string;
  modelId: string;
  modelVersion: string;
  timestamp: number;
  features: Record<string, number | string | boolean>;
  prediction: { class: string; probability: number };
  embedding?: number[];
}

export interface GeneratedLabel {
  id: string;
  label: string;
}

/** `n` records in [startMs, startMs + spanMs), shifted or not, with their ground-truth labels. */
export function generateRecords(opts: {
  rng: Rng;
  modelId: string;
  startMs: number;
  spanMs: number;
  n: number;
  shifted: boolean;
  embeddingDim?: number;
  idPrefix?: string;
}): { records: GeneratedRecord[]; labels: GeneratedLabel[] } {
  const { rng } = opts;
  const records: GeneratedRecord[] = [];
  const labels: GeneratedLabel[] = [];
  for (let i = 0; i < opts.n; i++) {
    const s = opts.shifted;
    const fraud = rng.uniform() < (s ? 0.6 : 0.3);
    const prob = Math.min(0.999, Math.max(0.001, (fraud ? 0.75 : 0.25) + 0.1 * rng.normal()));
    // With idPrefix the ids (and so the hash-based samples) do not depend on the wall clock.
    const id = opts.idPrefix !== undefined ? `${opts.idPrefix}-${i}` : `${opts.modelId}-${opts.startMs}-${i}`;
    const words = 3 + rng.int(6);
    const rec: GeneratedRecord = {
      id,
      modelId: opts.modelId,
      modelVersion: 'v1',
      timestamp: opts.startMs + Math.floor((i * opts.spanMs) / opts.n),
      features: {
        x: (s ? 1.5 : 0) + rng.normal(),
        y: 5 + 2 * rng.normal(),
        country: COUNTRIES[pick(rng, s ? SHIFTED_MIX : NORMAL_MIX)]!,
        premium: rng.uniform() < (s ? 0.7 : 0.3),
        note: Array.from({ length: words }, () => WORDS[rng.int(WORDS.length)]).join(' ') + ' '.repeat(30),
      },
      prediction: { class: fraud ? 'fraud' : 'ok', probability: Number(prob.toFixed(4)) },
    };
    if (opts.embeddingDim) {
      rec.embedding = Array.from({ length: opts.embeddingDim }, () => Number(((s ? 1 : 0) + rng.normal()).toFixed(4)));
    }
    records.push(rec);
    // Accuracy 0.9 normally, 0.55 after the shift (the concept changed).
    const correct = rng.uniform() < (s ? 0.55 : 0.9);
    labels.push({ id, label: correct ? rec.prediction.class : fraud ? 'ok' : 'fraud' });
  }
  return { records, labels };
}

/** OTLP/JSON span specs of LLM calls (normal or shifted behaviour). */
export function generateLlmSpans(opts: {
  rng: Rng;
  model: string;
  startMs: number;
  spanMs: number;
  n: number;
  shifted: boolean;
}): Array<{
  startMs: number;
  durationMs: number;
  attrs: Record<string, string | number | boolean>;
  status: 0 | 2;
}> {
  const { rng } = opts;
  const out = [];
  for (let i = 0; i < opts.n; i++) {
    const s = opts.shifted;
    const u = rng.uniform();
    const finish = s ? (u < 0.4 ? 'length' : u < 0.8 ? 'tool_calls' : 'stop') : u < 0.1 ? 'tool_calls' : 'stop';
    out.push({
      startMs: opts.startMs + Math.floor((i * opts.spanMs) / opts.n),
      durationMs: Math.max(50, (s ? 2500 : 800) + 100 * rng.normal()),
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': opts.model,
        'gen_ai.usage.input_tokens': Math.max(1, Math.round(500 + 50 * rng.normal())),
        'gen_ai.usage.output_tokens': Math.max(1, Math.round((s ? 600 : 200) + 30 * rng.normal())),
        'llm.response.finish_reason': finish,
      },
      status: (rng.uniform() < 0.02 ? 2 : 0) as 0 | 2,
    });
  }
  return out;
}
