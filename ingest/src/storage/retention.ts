// Deletes spans older than the retention period: shortly after start, then hourly.
import type { Storage } from './types.js';

export interface RetentionLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function startRetention(
  storage: Storage,
  opts: { days: number; log: RetentionLogger; firstRunMs?: number; everyMs?: number; now?: () => number }
): { runNow(): Promise<number>; stop(): void } {
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const runNow = async (): Promise<number> => {
    if (opts.days <= 0) {
      return 0;
    }
    const cutoffNs = BigInt(now() - opts.days * 86_400_000) * 1_000_000n;
    const n = await storage.deleteBefore(cutoffNs);
    if (n > 0) {
      opts.log.info({ deletedSpans: n, retentionDays: opts.days }, 'retention: old spans deleted');
    }
    return n;
  };
  const loop = (delay: number) => {
    if (stopped || opts.days <= 0) {
      return;
    }
    timer = setTimeout(() => {
      runNow()
        .catch((e: Error) => opts.log.error({ err: e.message }, 'retention run failed'))
        .finally(() => loop(opts.everyMs ?? 3_600_000));
    }, delay);
    timer.unref();
  };
  loop(opts.firstRunMs ?? 10_000);
  return {
    runNow,
    stop() {
      stopped = true;
      if (timer) {
        clearTimeout(timer);
      }
    },
  };
}
