// A machine-speed reference for the ingest benchmarks. These 2-core machines change speed by
// 10-20 % within a day, more than most changes a benchmark is meant to show. Each run also
// times a fixed piece of work of the same kind as the service's (protobuf decoding and JSON text
// of the run's payloads), on one thread, with code the service does not contain: protobufjs
// static code generated from the official .proto files (inside @opentelemetry/otlp-transformer)
// and JSON.stringify. A change to the service's decoder or normalizer cannot move it; a slower
// machine shows up as a higher calibration figure instead of as a regression.
import { PbRequest } from './ingest-payloads';

export interface Calibration {
  /** Best of 5 rounds: microseconds per span to decode the payloads with protobufjs and write them as JSON. */
  referenceUsPerSpan: number;
  spans: number;
}

export function calibrate(payloads: readonly Uint8Array[], spansPerPayload: number): Calibration {
  let best = Infinity;
  let chars = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (const body of payloads) {
      chars += JSON.stringify(PbRequest.toObject(PbRequest.decode(body), { longs: String, bytes: String })).length;
    }
    best = Math.min(best, performance.now() - t0);
  }
  if (chars === 0) {
    throw new Error('calibration wrote no JSON');
  }
  const spans = payloads.length * spansPerPayload;
  return { referenceUsPerSpan: Number(((best * 1000) / spans).toFixed(2)), spans };
}
