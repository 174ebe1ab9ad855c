// The long fuzz run: every *.fuzz.test.ts with FUZZ_RUNS inputs per property (default 20000)
// and FUZZ_SECONDS per property (default 120). `npm run fuzz -w @pyflare/ingest`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? '20000', FUZZ_SECONDS: process.env.FUZZ_SECONDS ?? '120' };
console.log(`fuzz: FUZZ_RUNS=${env.FUZZ_RUNS} FUZZ_SECONDS=${env.FUZZ_SECONDS} per property`);
const r = spawnSync(process.execPath, [path.join(root, 'scripts/test.mjs'), '.fuzz.test.ts'], { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
