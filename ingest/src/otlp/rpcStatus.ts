// google.rpc.Status, the body of OTLP/HTTP error responses (code = gRPC status code).
// Encoded by hand: two fields, no dependency needed.

export const GRPC = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  PERMISSION_DENIED: 7,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

function varint(n: number): number[] {
  const out: number[] = [];
  // int32 negatives would need 10 bytes; our codes are small and positive.
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

export function encodeStatusProto(code: number, message: string): Uint8Array {
  const msg = Buffer.from(message, 'utf8');
  const bytes: number[] = [];
  if (code !== 0) {
    bytes.push(0x08, ...varint(code));
  }
  const head = msg.length ? [0x12, ...varint(msg.length)] : [];
  return Buffer.concat([Buffer.from(bytes), Buffer.from(head), msg]);
}

export function encodeStatusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}
