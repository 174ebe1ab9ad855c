// Bundles the service into dist/server.js (ESM, Node 20). Native and dynamically-loaded
// packages stay external and are resolved from node_modules at run time.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

const defaultOutfile = path.join(here, 'dist/server.js');

/**
 * The entry (src/main.ts) goes to `outfile`; the service it imports dynamically goes to a chunk
 * beside it (`<name>-start-<hash>.js`), so the native packages, which esbuild leaves as static
 * imports at the top of the file that imports them, load only after main.ts has set the memory
 * tuning (src/memoryTuning.ts).
 */
export const buildOptions = (outfile = defaultOutfile) => ({
  entryPoints: { [path.basename(outfile, '.js')]: path.join(here, 'src/main.ts') },
  outdir: path.dirname(outfile),
  splitting: true,
  chunkNames: `${path.basename(outfile, '.js')}-[name]-[hash]`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // @duckdb, chdb: native addons; @grpc/grpc-js: loads optional parts dynamically; pino (via fastify)
  // starts worker threads for transports by file name.
  external: ['@duckdb/*', 'chdb', 'chdb/*', '@chdb/*', '@grpc/grpc-js', '@grpc/proto-loader', 'pino', 'pino-pretty', 'thread-stream'],
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __pyflareCreateRequire } from 'node:module'; const require = __pyflareCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

/** File name of the native helper (native/malloc-tuning.c) beside the bundle; src/memoryTuning.ts loads it. */
export const MALLOC_HELPER = 'pyflare-malloc.node';

/**
 * Compiles native/malloc-tuning.c into `outdir` with the C compiler ($CC, else cc) and the
 * headers of the node that runs this script. Returns the file, or null with a warning where it
 * cannot be built (no compiler, no headers): the service then runs with glibc's default malloc
 * thresholds, and says so in its start-up log. PYFLARE_REQUIRE_MALLOC_HELPER=1 makes that an
 * error instead (the service image sets it). Not on other systems than Linux: the helper only
 * sets glibc's options.
 */
export function buildNative(outdir) {
  const out = path.join(outdir, MALLOC_HELPER);
  rmSync(out, { force: true });
  if (process.platform !== 'linux') {
    return null;
  }
  const fail = (why) => {
    const msg = `${MALLOC_HELPER} not built (glibc malloc keeps its defaults): ${why}`;
    if (process.env.PYFLARE_REQUIRE_MALLOC_HELPER === '1') {
      throw new Error(msg);
    }
    console.warn(`warning: ${msg}`);
    return null;
  };
  const include = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  if (!existsSync(path.join(include, 'node_api.h'))) {
    return fail(`no Node headers at ${include}`);
  }
  mkdirSync(outdir, { recursive: true });
  const cc = process.env.CC || 'cc';
  // Warnings are shown, not fatal: a newer compiler or newer headers must not drop the helper.
  const r = spawnSync(cc, ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', `-I${include}`, path.join(here, 'native/malloc-tuning.c'), '-o', out, '-lm'], {
    encoding: 'utf8',
  });
  if (r.stderr) {
    process.stderr.write(r.stderr);
  }
  if (r.status !== 0) {
    return fail(`${cc} failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2] ? path.resolve(process.argv[2]) : defaultOutfile;
  if (!outfile.endsWith('.js')) {
    throw new Error(`the output file must end in .js (got ${outfile})`);
  }
  const result = await build({ ...buildOptions(outfile), metafile: true });
  // The chunks of an earlier build have other hashes: remove them once this build is complete
  // (the entry it replaced imported them).
  const base = path.basename(outfile, '.js');
  const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(f)));
  const chunk = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(chunk|start)-[A-Z0-9]+\\.js(\\.map)?$`);
  for (const f of readdirSync(path.dirname(outfile), { withFileTypes: true })) {
    const file = path.join(path.dirname(outfile), f.name);
    if (f.isFile() && chunk.test(f.name) && !written.has(file)) {
      rmSync(file);
    }
  }
  const helper = buildNative(path.dirname(outfile));
  console.log(`built ${path.relative(process.cwd(), outfile)}${helper ? ` and ${path.relative(process.cwd(), helper)}` : ''}`);
}
