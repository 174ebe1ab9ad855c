// Errors the intake path throws; both receivers (HTTP and gRPC) map them to their protocol.

/** Missing/unknown key (status 401) or a key without the needed scope (status 403). */
export class AuthError extends Error {
  readonly status: number;
  readonly retryAfterSeconds?: number;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.name = 'AuthError';
    this.status = status;
  }
}

/** The intake queue is full or the service is shutting down: retryable (HTTP 429/503, gRPC UNAVAILABLE). */
export class OverloadedError extends Error {
  readonly status: number;
  readonly retryAfterSeconds?: number;
  constructor(message: string, opts: { status?: 429 | 503; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'OverloadedError';
    this.status = opts.status ?? 503;
    this.retryAfterSeconds = opts.retryAfterSeconds ?? 1;
  }
}

/**
 * Storage refuses the data of this request (a value a column cannot hold): not retryable, the
 * same request fails the same way. HTTP 400, gRPC INVALID_ARGUMENT. Only for requests not yet
 * acknowledged (ClickHouse path); acknowledged ones are quarantined instead (intake/quarantine.ts).
 */
export class StorageRefusedError extends Error {
  readonly status = 400;
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'StorageRefusedError';
  }
}
