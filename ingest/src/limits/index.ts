// Abuse limits shared by every listener (REST, OTLP/HTTP, OTLP/gRPC): per-client request and
// span rates (token buckets), a cap on concurrent requests, and the HTTP server timeouts that
// close slow (slowloris) clients. A refused request gets 429 + Retry-After (HTTP) or
// RESOURCE_EXHAUSTED with RetryInfo (gRPC) via OverloadedError.
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import { OverloadedError } from '../errors.js';

export interface LimitSettings {
  /** Requests per second per client (API key, or IP without one); 0 = unlimited. Burst = 2 s worth. */
  keyRequestsPerSecond: number;
  /** Spans per second per client; 0 = unlimited. A request may overdraw; the next ones wait. */
  keySpansPerSecond: number;
  /** Requests in progress across all listeners; beyond it 503 + Retry-After. 0 = unlimited. */
  maxConcurrentRequests: number;
  /** Whole request header must arrive within this (HTTP 408 and close otherwise). */
  headersTimeoutMs: number;
  /** Whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** Body cap of the REST routes (OTLP/HTTP has PYFLARE_MAX_BODY_BYTES). */
  maxRestBodyBytes: number;
}

export const DEFAULT_LIMITS: LimitSettings = {
  keyRequestsPerSecond: 1000,
  keySpansPerSecond: 0,
  maxConcurrentRequests: 512,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxRestBodyBytes: 8 * 1024 * 1024,
};

/** Token buckets by client; the least recently used are forgotten beyond `maxKeys`. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly maxKeys = 10_000,
    private readonly clock: () => number = Date.now
  ) {}

  private bucket(key: string): { tokens: number; at: number } {
    const now = this.clock();
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, at: now };
      if (this.buckets.size >= this.maxKeys) {
        this.buckets.delete(this.buckets.keys().next().value as string);
      }
    } else {
      this.buckets.delete(key);
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
      b.at = now;
    }
    this.buckets.set(key, b);
    return b;
  }

  /** Takes `n` tokens; returns 0 when allowed, else the seconds until they would be there. */
  take(key: string, n = 1): number {
    const b = this.bucket(key);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return (n - b.tokens) / this.ratePerSecond;
  }

  /** Seconds until the bucket is out of debt (0 = not in debt). */
  debt(key: string): number {
    const b = this.bucket(key);
    return b.tokens >= 0 ? 0 : -b.tokens / this.ratePerSecond;
  }

  /** Takes `n` tokens unconditionally (the bucket may go negative: later requests wait). */
  charge(key: string, n: number): void {
    this.bucket(key).tokens -= n;
  }
}

/** The rate-limit identity of a caller: a hash of its key (never the key itself), else its address. */
export function clientIdentity(apiKey: string | undefined, address: string | undefined): string {
  return apiKey ? `key:${crypto.createHash('sha256').update(apiKey).digest('hex').slice(0, 24)}` : `ip:${address ?? 'unknown'}`;
}

const retrySeconds = (s: number) => Math.max(1, Math.ceil(s));

export class AbuseGuard {
  private readonly requests: TokenBuckets | null;
  private readonly spans: TokenBuckets | null;
  private active = 0;

  constructor(
    readonly settings: LimitSettings,
    clock: () => number = Date.now
  ) {
    this.requests = settings.keyRequestsPerSecond > 0 ? new TokenBuckets(settings.keyRequestsPerSecond, settings.keyRequestsPerSecond * 2, 10_000, clock) : null;
    this.spans = settings.keySpansPerSecond > 0 ? new TokenBuckets(settings.keySpansPerSecond, settings.keySpansPerSecond * 2, 10_000, clock) : null;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Checks the client's request and span budgets; throws OverloadedError 429 when spent. */
  admit(identity: string): void {
    if (this.requests) {
      const wait = this.requests.take(identity);
      if (wait > 0) {
        throw new OverloadedError(`rate limit: more than ${this.settings.keyRequestsPerSecond} requests/s for this client`, {
          status: 429,
          retryAfterSeconds: retrySeconds(wait),
        });
      }
    }
    if (this.spans) {
      const wait = this.spans.debt(identity);
      if (wait > 0) {
        throw new OverloadedError(`rate limit: more than ${this.settings.keySpansPerSecond} spans/s for this client`, {
          status: 429,
          retryAfterSeconds: retrySeconds(wait),
        });
      }
    }
  }

  /** Counts spans a client sent (after the request was processed). */
  chargeSpans(identity: string, n: number): void {
    if (this.spans && n > 0) {
      this.spans.charge(identity, n);
    }
  }

  /** Takes a concurrency slot; returns its release (idempotent). Throws OverloadedError 503 when full. */
  acquire(): () => void {
    const max = this.settings.maxConcurrentRequests;
    if (max > 0 && this.active >= max) {
      throw new OverloadedError(`too many concurrent requests (${max})`, { status: 503, retryAfterSeconds: 1 });
    }
    this.active++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.active--;
      }
    };
  }
}

/** Applies the slow-client timeouts to a Node HTTP(S) server (before listen). */
export function applyServerTimeouts(server: Server, s: LimitSettings): void {
  server.headersTimeout = s.headersTimeoutMs;
  server.requestTimeout = s.requestTimeoutMs;
  server.keepAliveTimeout = s.keepAliveTimeoutMs;
  // Node checks the two timeouts above only this often (30 s by default).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(s.headersTimeoutMs / 4)));
}
