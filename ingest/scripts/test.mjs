// Runs every src/**/*.test.ts with tsx's test runner. Node 20's --test does not expand globs,
// so the file list is built here. Extra arguments filter by path substring.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      return e.name === 'node_modules' ? [] : walk(p);
    }
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = walk(path.join(root, 'src'))
  .map((f) => path.relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const tsx = path.join(root, 'node_modules/.bin/tsx');
const bin = fs.existsSync(tsx) ? tsx : path.join(root, '../node_modules/.bin/tsx');
const r = spawnSync(bin, ['--test', '--test-concurrency=2', ...passthrough, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TZ: 'UTC' },
});
process.exit(r.status ?? 1);
