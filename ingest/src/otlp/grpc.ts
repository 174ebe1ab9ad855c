// OTLP/gRPC trace receiver: opentelemetry.proto.collector.trace.v1.TraceService/Export (unary)
// on @grpc/grpc-js, with the hand-written protobuf codec instead of .proto loading.
//
// The listening socket is ours (net.Server; connections handed to grpc-js through its connection
// injector), because grpc-js's own idle limit (grpc.max_connection_idle_ms) neither closes a
// connection that never sends the HTTP/2 preface nor one that stalls inside a request: it only
// counts time without open streams. Here a connection that sends nothing for idleTimeoutMs is
// destroyed, except while one of its calls is being handled (the client is then waiting for us).

import net from 'node:net';

import * as grpc from '@grpc/grpc-js';

import { decodeTraceRequestProto, encodeTraceResponseProto } from './protobuf.js';
import { type ExportResult, type ExportTraceServiceRequest } from './types.js';

export const TRACE_SERVICE_NAME = 'opentelemetry.proto.collector.trace.v1.TraceService';
export const TRACE_EXPORT_PATH = `/${TRACE_SERVICE_NAME}/Export`;
/** Largest accepted request, after decompression (grpc-js checks both sizes). */
export const MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024 * 1024;
const SHUTDOWN_GRACE_MS = 5_000;

export interface ExportMetadata {
  /** From `authorization: Bearer <key>` or `x-api-key: <key>`; undefined when neither is sent. */
  apiKey: string | undefined;
  /** The client's address (grpc-js peer, `ip:port`), for per-client limits without a key. */
  peer?: string;
}

/** TLS for the listener (PEM); with `ca`, clients must present a certificate it signed. */
export interface GrpcTlsOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface GrpcReceiverOptions {
  host: string;
  /** 0 picks a free port; the chosen one is returned. */
  port: number;
  /** `body` is the request's protobuf bytes as received (the intake logs them). */
  export: (req: ExportTraceServiceRequest, metadata: ExportMetadata, body: Buffer) => Promise<ExportResult>;
  /**
   * Optional check run before the body is decoded, so that unauthenticated clients cannot make
   * the service decode up to 16 MiB per call. Throw errors as `export` would (status 401/403).
   */
  authorize?: (metadata: ExportMetadata) => void | Promise<void>;
  /** Receives errors that were answered with INTERNAL (bugs), for logging. */
  onInternalError?: (err: unknown) => void;
  /**
   * Abuse limits, checked first: throws (OverloadedError -> RESOURCE_EXHAUSTED/UNAVAILABLE) to
   * refuse, else returns the release of the call's concurrency slot.
   */
  admit?: (metadata: ExportMetadata) => () => void;
  tls?: GrpcTlsOptions;
  /**
   * A connection with nothing received for this long is destroyed, unless one of its calls is
   * being handled: idle keep-alive connections, clients that connect and send nothing, and
   * clients that stall in the middle of a request. 0 or absent: no limit.
   */
  idleTimeoutMs?: number;
}

export interface GrpcReceiver {
  port: number;
  close(): Promise<void>;
}

/** The API key of a call: `authorization: Bearer X` wins over `x-api-key: X`. */
export function apiKeyFromMetadata(metadata: grpc.Metadata): string | undefined {
  for (const value of metadata.get('authorization')) {
    if (typeof value !== 'string') {continue;}
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
    if (match) {return match[1];}
  }
  for (const value of metadata.get('x-api-key')) {
    if (typeof value === 'string' && value.trim() !== '') {return value.trim();}
  }
  return undefined;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  retryAfterSeconds?: unknown;
}

export interface GrpcErrorStatus {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

/**
 * Maps an intake error to a gRPC status, following OTLP's rules on retryable codes:
 * decode errors -> INVALID_ARGUMENT (not retryable); 401 -> UNAUTHENTICATED; 403 ->
 * PERMISSION_DENIED; OverloadedError -> RESOURCE_EXHAUSTED when it carries status 429 (queue
 * full), UNAVAILABLE otherwise (503: shutting down), both with a google.rpc.RetryInfo delay;
 * StorageUnavailableError -> UNAVAILABLE; anything else -> INTERNAL. Errors are matched by
 * `name` and `status`, so the error classes need not be imported here.
 */
export function grpcStatusForError(err: unknown): GrpcErrorStatus {
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : name || 'error';
  const status = typeof e.status === 'number' ? e.status : undefined;
  const retryAfter = typeof e.retryAfterSeconds === 'number' && e.retryAfterSeconds > 0 ? e.retryAfterSeconds : undefined;

  if (name === 'OtlpDecodeError') {return { code: grpc.status.INVALID_ARGUMENT, details: message };}
  if (name === 'OverloadedError') {
    const code = status === 429 ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE;
    return withRetryInfo({ code, details: message }, retryAfter ?? 1);
  }
  if (name === 'StorageUnavailableError') {
    return withRetryInfo({ code: grpc.status.UNAVAILABLE, details: message }, retryAfter);
  }
  switch (status) {
    case 400:
    case 413:
    case 422:
      return { code: grpc.status.INVALID_ARGUMENT, details: message };
    case 401:
      return { code: grpc.status.UNAUTHENTICATED, details: message };
    case 403:
      return { code: grpc.status.PERMISSION_DENIED, details: message };
    case 429:
      return withRetryInfo({ code: grpc.status.RESOURCE_EXHAUSTED, details: message }, retryAfter ?? 1);
    case 503:
      return withRetryInfo({ code: grpc.status.UNAVAILABLE, details: message }, retryAfter);
    default:
      return { code: grpc.status.INTERNAL, details: 'internal error' };
  }
}

function withRetryInfo(s: GrpcErrorStatus, retryAfterSeconds: number | undefined): GrpcErrorStatus {
  if (retryAfterSeconds === undefined) {return s;}
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', encodeStatusWithRetryInfo(s.code, s.details, retryAfterSeconds));
  return { ...s, metadata };
}

// google.rpc.Status {code=1 int32, message=2 string, details=3 repeated Any}; Any {type_url=1,
// value=2}; google.rpc.RetryInfo {retry_delay=1 Duration}; Duration {seconds=1 int64, nanos=2 int32}.
function encodeStatusWithRetryInfo(code: number, message: string, retryAfterSeconds: number): Buffer {
  const seconds = Math.floor(retryAfterSeconds);
  const nanos = Math.round((retryAfterSeconds - seconds) * 1e9);
  const duration = concat(seconds > 0 ? field(1, varint(seconds)) : [], nanos > 0 ? field(2, varint(nanos)) : []);
  const retryInfo = lengthDelimited(1, duration);
  const any = concat(lengthDelimited(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), lengthDelimited(2, retryInfo));
  return Buffer.from(concat(field(1, varint(code)), lengthDelimited(2, Buffer.from(message, 'utf8')), lengthDelimited(3, any)));
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
function field(num: number, varintBytes: number[]): number[] {
  return [(num << 3) | 0, ...varintBytes];
}
function lengthDelimited(num: number, payload: ArrayLike<number>): number[] {
  return [(num << 3) | 2, ...varint(payload.length), ...Array.from(payload)];
}
function concat(...parts: number[][]): number[] {
  return parts.flat();
}

function isExportResult(r: unknown): r is ExportResult {
  if (typeof r !== 'object' || r === null) {return false;}
  const { rejectedSpans, errorMessage } = r as Partial<ExportResult>;
  return Number.isSafeInteger(rejectedSpans) && (rejectedSpans as number) >= 0 && typeof errorMessage === 'string';
}

/** Starts the OTLP/gRPC trace receiver; resolves once it listens. */
export async function startGrpcReceiver(opts: GrpcReceiverOptions): Promise<GrpcReceiver> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': 100,
    ...(opts.idleTimeoutMs ? { 'grpc.max_connection_idle_ms': opts.idleTimeoutMs } : {}),
  });

  // Connections by grpc-js peer (`ip:port`): calls being handled suspend their socket's timeout.
  const idleMs = opts.idleTimeoutMs ?? 0;
  const conns = new Map<string, { socket: net.Socket; busy: number }>();
  const hold = (peer: string): (() => void) => {
    const c = conns.get(peer);
    if (!c || idleMs <= 0) {
      return () => undefined;
    }
    if (c.busy++ === 0) {
      c.socket.setTimeout(0);
    }
    return () => {
      if (--c.busy === 0 && !c.socket.destroyed) {
        c.socket.setTimeout(idleMs);
      }
    };
  };

  const fail = (callback: grpc.sendUnaryData<ExportResult>, err: unknown) => {
    const s = grpcStatusForError(err);
    if (s.code === grpc.status.INTERNAL) {opts.onInternalError?.(err);}
    callback({ code: s.code, details: s.details, metadata: s.metadata ?? new grpc.Metadata() }, null);
  };

  const handleExport: grpc.handleUnaryCall<Buffer, ExportResult> = (call, callback) => {
    const metadata: ExportMetadata = { apiKey: apiKeyFromMetadata(call.metadata), peer: call.getPeer() };
    let release: (() => void) | undefined;
    const unhold = hold(metadata.peer ?? '');
    void (async () => {
      release = opts.admit?.(metadata);
      if (opts.authorize) {await opts.authorize(metadata);}
      const req = decodeTraceRequestProto(call.request);
      return opts.export(req, metadata, call.request);
    })().finally(() => {
      release?.();
      unhold();
    }).then(
      (result) => {
        if (isExportResult(result)) {callback(null, result);}
        else {fail(callback, new TypeError('export callback returned an invalid ExportResult'));}
      },
      (err: unknown) => fail(callback, err),
    );
  };

  // The request stays raw bytes through grpc-js and is decoded in the handler: a throwing
  // requestDeserialize would be answered INTERNAL by grpc-js, while a bad body must be
  // INVALID_ARGUMENT (not retryable). The response goes through our encoder.
  const definition: grpc.ServiceDefinition = {
    Export: {
      path: TRACE_EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      originalName: 'export',
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (r: ExportResult) => {
        const bytes = encodeTraceResponseProto(r);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      responseDeserialize: (b: Buffer) => b,
    },
  };
  server.addService(definition, { Export: handleExport as grpc.UntypedHandleCall });

  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(opts.tls.ca ?? null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], opts.tls.ca !== undefined)
    : grpc.ServerCredentials.createInsecure();
  const injector = server.createConnectionInjector(credentials);
  const listener = net.createServer((socket) => {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    conns.set(peer, { socket, busy: 0 });
    socket.once('close', () => conns.delete(peer));
    injector.injectConnection(socket);
    if (idleMs > 0) {
      // 'timeout': nothing read or written for idleMs (suspended while a call is handled).
      socket.setTimeout(idleMs, () => socket.destroy());
    }
  });
  const host = opts.host.startsWith('[') ? opts.host.slice(1, -1) : opts.host;
  const port = await new Promise<number>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host, port: opts.port }, () => {
      listener.off('error', reject);
      resolve((listener.address() as net.AddressInfo).port);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Let in-flight exports finish, but do not wait on a stuck client forever.
        listener.close();
        const destroyAll = () => {
          for (const c of conns.values()) {
            c.socket.destroy();
          }
        };
        const timer = setTimeout(() => {
          injector.destroy();
          server.forceShutdown();
          destroyAll();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        timer.unref();
        injector.drain(SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          destroyAll();
          resolve();
        });
      });
      return closing;
    },
  };
}
