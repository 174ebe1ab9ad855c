// Bundles the service into dist/server.js (ESM, Node 20). Native and dynamically-loaded
// packages stay external and are resolved from node_modules at run time.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

export const buildOptions = {
  entryPoints: [path.join(here, 'src/main.ts')],
  outfile: path.join(here, 'dist/server.js'),
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
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2] ? path.resolve(process.argv[2]) : buildOptions.outfile;
  await build({ ...buildOptions, outfile });
  console.log(`built ${path.relative(process.cwd(), outfile)}`);
}
