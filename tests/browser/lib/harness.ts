import { build } from 'esbuild';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { HarnessCase } from '../harness/index';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const ICONS = path.join(ROOT, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons');

export interface Harness {
  url: string;
  dir: string;
  writeCase(name: string, c: HarnessCase): Promise<void>;
  close(): Promise<void>;
}

const SPINNER_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2a10 10 0 1 0 10 10h-2a8 8 0 1 1-8-8z"/></svg>';

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>PyFlare panel harness</title></head>
<body><div id="root"></div>
<script>
  // What Grafana's index.html provides before any plugin code runs; @grafana/runtime reads it.
  window.grafanaBootData = { settings: { appSubUrl: '', buildInfo: { version: '12.4.2' } }, user: {}, navTree: [] };
</script>
<script src="harness.js"></script></body></html>`;

/** Bundles tests/browser/harness with esbuild and serves it (plus case files) on 127.0.0.1. */
export async function startHarness(): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pyflare-harness-'));
  await mkdir(path.join(dir, 'cases'));
  await build({
    entryPoints: [path.join(ROOT, 'tests/browser/harness/index.tsx')],
    outfile: path.join(dir, 'harness.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'transform',
    minify: false,
    sourcemap: false,
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: { '.svg': 'dataurl', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.png': 'dataurl' },
    tsconfig: path.join(ROOT, 'tsconfig.json'),
  });
  await writeFile(path.join(dir, 'index.html'), INDEX_HTML);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file =
      url.pathname === '/'
        ? 'index.html'
        : url.pathname === '/harness.js' || /^\/cases\/[\w-]+\.json$/.test(url.pathname)
          ? url.pathname.slice(1)
          : undefined;
    // @grafana/ui's Icon loads its SVGs from Grafana's public path, served here from the package.
    const icon = /^\/public\/build\/img\/icons\/([\w-]+\/[\w-]+\.svg)$/.exec(url.pathname);
    if (icon) {
      readFile(path.join(ICONS, icon[1]!)).then(
        (body) => res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(body),
        () =>
          // Grafana ships the loading spinner itself, not @grafana/ui: stand in for it.
          icon[1] === 'unicons/spinner.svg'
            ? res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SPINNER_SVG)
            : res.writeHead(404).end()
      );
      return;
    }
    if (!file) {
      // Nothing else exists (favicon, fonts): answer empty rather than 404 noise in the console.
      res.writeHead(204).end();
      return;
    }
    readFile(path.join(dir, file)).then(
      (body) => {
        const type = file.endsWith('.js')
          ? 'text/javascript'
          : file.endsWith('.json')
            ? 'application/json'
            : 'text/html';
        res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(body);
      },
      () => res.writeHead(404).end()
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') {
    throw new Error('harness server has no port');
  }
  return {
    url: `http://127.0.0.1:${address.port}/`,
    dir,
    writeCase: (name, c) => writeFile(path.join(dir, 'cases', `${name}.json`), JSON.stringify(c)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
