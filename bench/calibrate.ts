// A machine-speed reference for the ingest benchmarks. These 2-core machines vary by 10-20 %
// between hours (the same build measured 40.5k and 33k spans/s on one day), which is more than
// most changes a benchmark is meant to show. Each run also times a fixed piece of the service's
// own work, in this process and on one thread: decode + normalize (no storage) of the run's
// payloads. A run is then comparable with another by that figure: a slower machine shows up
// as a higher calibration time, not as a regression of the change under test.
import { SpanStream } from '../ingest/src/normalize/index.js';
import { visitTraceRequestProto } from '../ingest/src/otlp/protobuf.js';
import { PriceBook } from '../ingest/src/pricing/index.js';

export interface Calibration {
  /** Best of 5 rounds over the payloads: microseconds per span of decode + normalize. */
  normalizeUsPerSpan: number;
  spans: number;
}

export async function calibrate(payloads: readonly Uint8Array[], spansPerPayload: number): Promise<Calibration> {
  const pricer = await PriceBook.load();
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  let best = Infinity;
  let rows = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (const body of payloads) {
      const stream = new SpanStream({ pricer, nowNs }, () => rows++);
      visitTraceRequestProto(body, stream);
    }
    best = Math.min(best, performance.now() - t0);
  }
  const spans = payloads.length * spansPerPayload;
  if (rows !== spans * 5) {
    throw new Error(`calibration normalized ${rows} spans, expected ${spans * 5}`);
  }
  return { normalizeUsPerSpan: Number(((best * 1000) / spans).toFixed(2)), spans };
}
