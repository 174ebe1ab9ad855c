// The decoded form of an OTLP ExportTraceServiceRequest, shared by the JSON and the protobuf
// decoders so that normalization sees one shape whatever the wire format was.
// Ids are lower-case hex; times are bigint nanoseconds (never a JS number: 64-bit values
// would lose precision); 64-bit integer attribute values are bigint for the same reason.

export type OtlpAnyValue =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'double'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'array'; value: OtlpAnyValue[] }
  | { kind: 'kvlist'; value: OtlpKeyValue[] }
  | { kind: 'empty' };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

/** SpanKind as numbered by the OTLP proto: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type OtlpSpanKind = 0 | 1 | 2 | 3 | 4 | 5;
/** Status.code: 0 unset, 1 ok, 2 error. */
export type OtlpStatusCode = 0 | 1 | 2;

export interface OtlpSpan {
  /** 32 lower-case hex characters as received; validity is checked by normalization. */
  traceId: string;
  /** 16 lower-case hex characters as received. */
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
  events: OtlpEvent[];
  droppedEventsCount: number;
  links: OtlpLink[];
  droppedLinksCount: number;
  status: { code: number; message: string };
}

export interface OtlpScope {
  name: string;
  version: string;
  attributes: OtlpKeyValue[];
}

export interface OtlpScopeSpans {
  scope: OtlpScope;
  schemaUrl: string;
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resource: { attributes: OtlpKeyValue[]; droppedAttributesCount: number };
  schemaUrl: string;
  scopeSpans: OtlpScopeSpans[];
}

export interface ExportTraceServiceRequest {
  resourceSpans: OtlpResourceSpans[];
}

/** What an export answers: OTLP's ExportTraceServiceResponse.partial_success. */
export interface ExportResult {
  rejectedSpans: number;
  errorMessage: string;
  /** Spans kept (for per-client span rate limits); not part of the OTLP response. */
  acceptedSpans?: number;
}

/** Thrown by a decoder for a body it cannot decode; the receivers answer 400 / INVALID_ARGUMENT. */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}
