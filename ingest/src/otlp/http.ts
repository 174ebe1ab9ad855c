// OTLP/HTTP trace receiver: POST /v1/traces with application/json or application/x-protobuf,
// optionally gzip- or deflate-compressed. Answers per the OTLP/HTTP spec: 200 with an
// ExportTraceServiceResponse (partial_success when spans were rejected) in the request's
// encoding; errors carry a google.rpc.Status in the same encoding.
//   400 undecodable body, 401/403 auth, 413 body (or its decompressed form) over the cap,
//   415 unsupported content type or encoding, 429/503 + Retry-After when overloaded.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { keyFromHeaders, type Auth } from '../auth/keys.js';
import { AuthError, OverloadedError } from '../errors.js';
import { HttpError } from '../http/errors.js';
import { ProtoRequest, type ExportFn } from '../intake/exporter.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import type { AbuseGuard } from '../limits/index.js';
import { chargeSpans } from '../limits/http.js';
import { releaseBuffer } from '../util/release.js';
import { encodeTraceResponseProto } from './protobuf.js';
import { decodeTraceRequestJson, encodeTraceResponseJson } from './json.js';
import { encodeStatusJson, encodeStatusProto, GRPC } from './rpcStatus.js';
import { OtlpDecodeError } from './types.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

type Encoding = 'json' | 'protobuf';

/** Queue admission (Intake): room for a body is reserved before the body is read. */
export interface OtlpAdmission {
  reserve(bytes: number, waitMs: number): Promise<void>;
  release(bytes: number): void;
}

export interface OtlpHttpOptions {
  exportFn: ExportFn;
  /**
   * When set, a request with a Content-Length waits (up to admissionWaitMs) for queue room
   * before its body is read: under overload clients are slowed down by TCP instead of getting
   * 429s at once, and waiting costs no memory. Beyond the wait: 429 + Retry-After.
   */
  admission?: OtlpAdmission;
  admissionWaitMs?: number;
  auth: Auth;
  maxBodyBytes: number;
  metrics: ServiceMetrics;
  /** Per-client span rate: accepted spans are charged after each export. */
  guard?: AbuseGuard;
}

declare module 'fastify' {
  interface FastifyRequest {
    otlpEncoding?: Encoding;
    otlpReservation?: { bytes: number; taken: boolean };
  }
}

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function encodingOf(contentType: string | undefined): Encoding | null {
  const t = mediaType(contentType);
  if (t === 'application/json') {
    return 'json';
  }
  if (t === 'application/x-protobuf' || t === 'application/protobuf') {
    return 'protobuf';
  }
  return null;
}

/**
 * Reads the body into one Buffer, refusing more than `cap` bytes. With a Content-Length the
 * buffer is allocated once and filled in place (no chunk list, no concat copy).
 */
function readCapped(stream: Readable, cap: number, contentLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sized = Number.isSafeInteger(contentLength) && contentLength > 0 && contentLength <= cap;
    let buf = sized ? Buffer.allocUnsafe(contentLength) : null;
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const fail = (e: Error) => {
      if (!done) {
        done = true;
        stream.off('data', onData);
        reject(e);
      }
    };
    const onData = (chunk: Buffer) => {
      if (done) {
        return;
      }
      if (total + chunk.length > cap) {
        stream.destroy();
        fail(new HttpError(413, `request body exceeds ${cap} bytes`));
        return;
      }
      if (buf !== null && total + chunk.length <= buf.length) {
        chunk.copy(buf, total);
      } else {
        if (buf !== null) {
          // More than announced: fall back to collecting chunks (Node's parser rejects this anyway).
          chunks.push(buf.subarray(0, total));
          buf = null;
        }
        chunks.push(chunk);
      }
      total += chunk.length;
    };
    stream.on('data', onData);
    stream.once('error', fail);
    stream.once('end', () => {
      if (done) {
        return;
      }
      done = true;
      if (buf !== null) {
        resolve(total === buf.length ? buf : buf.subarray(0, total));
      } else {
        resolve(Buffer.concat(chunks, total));
      }
    });
  });
}

async function decompress(body: Buffer, contentEncoding: string, cap: number): Promise<Buffer> {
  if (contentEncoding === '' || contentEncoding === 'identity') {
    return body;
  }
  try {
    if (contentEncoding === 'gzip' || contentEncoding === 'x-gzip') {
      return await gunzip(body, { maxOutputLength: cap });
    }
    return await inflate(body, { maxOutputLength: cap });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new HttpError(413, `decompressed request body exceeds ${cap} bytes`);
    }
    throw new HttpError(400, `cannot decompress ${contentEncoding} body: ${(e as Error).message}`);
  }
}

function grpcCode(status: number): number {
  switch (status) {
    case 401:
      return GRPC.UNAUTHENTICATED;
    case 403:
      return GRPC.PERMISSION_DENIED;
    case 429:
      return GRPC.RESOURCE_EXHAUSTED;
    case 503:
      return GRPC.UNAVAILABLE;
    case 500:
      return GRPC.INTERNAL;
    default:
      return GRPC.INVALID_ARGUMENT;
  }
}

function sendStatus(reply: FastifyReply, enc: Encoding, status: number, message: string): FastifyReply {
  const code = grpcCode(status);
  if (enc === 'protobuf') {
    return reply.code(status).type('application/x-protobuf').send(Buffer.from(encodeStatusProto(code, message)));
  }
  return reply.code(status).type('application/json').send(encodeStatusJson(code, message));
}

/** Registers POST /v1/traces in its own encapsulated context (it replaces the body parsers). */
export async function registerOtlpHttp(app: FastifyInstance, opts: OtlpHttpOptions): Promise<void> {
  await app.register(async (otlp) => {
    otlp.removeAllContentTypeParsers();
    // The raw stream is read by our parser, with the size cap, so a gzip bomb never inflates fully.
    otlp.addContentTypeParser('*', (req: FastifyRequest, payload, done) => {
      const enc = (req.headers['content-encoding'] ?? '').toString().trim().toLowerCase();
      const len = Number(req.headers['content-length'] ?? NaN);
      const admission = opts.admission;
      const admitted =
        admission && Number.isSafeInteger(len) && len > 0
          ? admission.reserve(len, opts.admissionWaitMs ?? 0).then(() => {
              req.otlpReservation = { bytes: len, taken: false };
            })
          : Promise.resolve();
      admitted
        .then(() => readCapped(payload as Readable, opts.maxBodyBytes, len))
        .then(async (raw) => {
          const body = await decompress(raw, enc, opts.maxBodyBytes);
          if (body !== raw) {
            releaseBuffer(raw);
          }
          return body;
        })
        .then(
          (body) => done(null, body),
          (err: Error) => done(err, undefined)
        );
    });

    // A reservation the exporter did not take over (the request failed before) is given back.
    const releaseReservation = async (req: FastifyRequest) => {
      const r = req.otlpReservation;
      if (r && !r.taken) {
        r.taken = true;
        opts.admission?.release(r.bytes);
      }
    };
    otlp.addHook('onResponse', releaseReservation);
    otlp.addHook('onRequestAbort', releaseReservation);

    otlp.setErrorHandler((err, req, reply) => {
      const enc = req.otlpEncoding ?? 'json';
      let status = 500;
      let message = 'internal error';
      if (err instanceof AuthError) {
        status = err.status;
        message = err.message;
      } else if (err instanceof OverloadedError) {
        status = err.status;
        message = err.message;
        reply.header('retry-after', String(err.retryAfterSeconds ?? 1));
      } else if (err instanceof HttpError) {
        status = err.statusCode;
        message = err.message;
      } else if (err instanceof OtlpDecodeError) {
        status = 400;
        message = `cannot decode ${enc === 'json' ? 'OTLP/JSON' : 'OTLP/protobuf'} request: ${err.message}`;
      } else if (typeof (err as { statusCode?: number }).statusCode === 'number' && (err as { statusCode: number }).statusCode < 500) {
        status = (err as { statusCode: number }).statusCode;
        message = (err as Error).message;
      } else {
        req.log.error({ err }, 'OTLP/HTTP export failed');
      }
      opts.metrics.requests.inc({ protocol: 'http', code: String(status) });
      return sendStatus(reply, enc, status, message);
    });

    otlp.post(
      '/v1/traces',
      {
        onRequest: async (req) => {
          const enc = encodingOf(req.headers['content-type']);
          req.otlpEncoding = enc ?? 'json';
          opts.auth.authorize(keyFromHeaders(req.headers), 'ingest');
          if (!enc) {
            throw new HttpError(
              415,
              `unsupported content type "${mediaType(req.headers['content-type']) || '(none)'}": use application/json or application/x-protobuf`
            );
          }
          const ce = (req.headers['content-encoding'] ?? '').toString().trim().toLowerCase();
          if (!['', 'identity', 'gzip', 'x-gzip', 'deflate'].includes(ce)) {
            throw new HttpError(415, `unsupported content encoding "${ce}": use gzip or none`);
          }
          const len = Number(req.headers['content-length'] ?? 0);
          if (len > opts.maxBodyBytes) {
            throw new HttpError(413, `request body of ${len} bytes exceeds ${opts.maxBodyBytes} bytes`);
          }
        },
      },
      async (req, reply) => {
        const enc = req.otlpEncoding ?? 'json';
        const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
        // The decoded request is passed on, not kept in a local: it must not outlive the
        // synchronous part of the export (see intake/exporter.ts).
        let result: Awaited<ReturnType<ExportFn>>;
        try {
          result = await opts.exportFn(enc === 'json' ? decodeTraceRequestJson(body) : new ProtoRequest(body), 'http', {
            format: enc,
            body,
            reservation: req.otlpReservation,
          });
        } finally {
          // Logged, or refused: nothing reads the body any more (the WAL has settled its write, and the
          // decoded request does not outlive the export). This receiver allocated it.
          releaseBuffer(body);
        }
        chargeSpans(opts.guard, req, result.acceptedSpans ?? 0);
        opts.metrics.requests.inc({ protocol: 'http', code: '200' });
        if (enc === 'protobuf') {
          return reply.code(200).type('application/x-protobuf').send(Buffer.from(encodeTraceResponseProto(result)));
        }
        return reply.code(200).type('application/json').send(encodeTraceResponseJson(result));
      }
    );
  });
}
