// Starts the service from the environment (loaded by main.ts, after the memory tuning).
import { ConfigError, loadConfig } from './config.js';
import { startService, type Service } from './server.js';

function fatal(msg: string, extra: Record<string, unknown> = {}): never {
  // Before the logger exists: one JSON line in the same shape pino writes.
  process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), msg, ...extra })}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      fatal(`invalid configuration: ${e.problems.join('; ')}`, { problems: e.problems });
    }
    throw e;
  }

  let service: Service;
  try {
    service = await startService(config);
  } catch (e) {
    fatal(`pyflare failed to start: ${(e as Error).message}`, { err: String((e as Error).stack ?? e) });
  }

  let stoppingSince = 0;
  const stop = (signal: string) => {
    if (stoppingSince) {
      // Wrappers (npx, tsx) may relay one signal twice; only a later, deliberate one forces the exit.
      if (Date.now() - stoppingSince < 2000) {
        return;
      }
      service.log.warn({ signal }, 'second signal: exiting without a clean shutdown (the WAL is replayed at next start)');
      process.exit(1);
    }
    stoppingSince = Date.now();
    service.log.info({ signal }, 'shutting down: flushing the intake queue and closing storage');
    service
      .close()
      .then(() => {
        service.log.info({}, 'pyflare stopped');
        process.exit(0);
      })
      .catch((e: Error) => {
        service.log.error({ err: e.message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (e) => {
    service.log.error({ err: String((e as Error)?.stack ?? e) }, 'unhandled rejection');
  });
}

main().catch((e: Error) => fatal(`pyflare crashed: ${e.message}`, { err: String(e.stack) }));
