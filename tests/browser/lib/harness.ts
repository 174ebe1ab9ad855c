// Serves bundled browser entries (the editor and panel harness pages, the panel benchmarks)
// on 127.0.0.1, with the PyFlare service behind /service/ so a page can query it
// same-origin, as Grafana's backend does for a panel.
import { build } from 'esbuild';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const ICONS = path.join(ROOT, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons');

const SPINNER_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2a10 10 0 1 0 10 10h-2a8 8 0 1 1-8-8z"/></svg>';

const page = (script: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>PyFlare harness</title></head>
<body><div id="root"></div>
<script>
  // What Grafana's index.html provides before any plugin code runs; @grafana/runtime reads it.
  window.grafanaBootData = {
    settings: { appSubUrl: '', buildInfo: { version: '12.4.2' }, featureToggles: {} },
    user: {},
    navTree: [],
  };
</script>
<script src="${script}"></script></body></html>`;

export interface Harness {
  /** Base URL; entry `name` is at `${url}${name}.html`. */
  url: string;
  dir: string;
  writeCase(name: string, c: unknown): Promise<void>;
  /** Stops the server and removes `dir`. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Entry name -> TSX file (repository-relative). */
  entries: Record<string, string>;
  /** The service /service/* is forwarded to, with its API key added. */
  service?: { url: string; apiKey: string };
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pyflare-harness-'));
  await mkdir(path.join(dir, 'cases'));
  await build({
    entryPoints: Object.fromEntries(Object.entries(opts.entries).map(([name, file]) => [name, path.join(ROOT, file)])),
    outdir: dir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'transform',
    // Minified like a production plugin build, so the benchmark measures what users run.
    minify: true,
    sourcemap: false,
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: { '.svg': 'dataurl', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.png': 'dataurl' },
    tsconfig: path.join(ROOT, 'tsconfig.json'),
  });
  for (const name of Object.keys(opts.entries)) {
    await writeFile(path.join(dir, `${name}.html`), page(`${name}.js`));
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/service/') && opts.service) {
      const target = new URL(url.pathname.slice('/service'.length) + url.search, opts.service.url);
      const upstream = httpRequest(
        target,
        {
          method: req.method,
          headers: {
            'content-type': req.headers['content-type'] ?? 'application/json',
            authorization: `Bearer ${opts.service.apiKey}`,
          },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json' });
          up.pipe(res);
        }
      );
      upstream.on('error', (e) => res.writeHead(502).end(String(e)));
      req.pipe(upstream);
      return;
    }
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
    const file = /^\/([\w-]+\.(?:html|js)|cases\/[\w-]+\.json)$/.exec(url.pathname)?.[1];
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
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
      // The built pages and cases (a few MB per run) would otherwise stay in the temp dir.
      await rm(dir, { recursive: true, force: true });
    },
  };
}
