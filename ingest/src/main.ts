// Entry point: `node ingest/dist/server.js` (built) or `npx tsx ingest/src/main.ts` (dev).
// It sets what DuckDB's allocator and V8 read only once, then loads the service
// (start.ts). The service is imported dynamically because DuckDB's native library
// sets up its allocator as soon as it is loaded, and a static import would load it
// before any line here has run. The build keeps start.ts in its own chunk for the same reason.
import { applyMemoryTuning } from './memoryTuning.js';

applyMemoryTuning(process.env, process.execArgv);
await import('./start.js');
