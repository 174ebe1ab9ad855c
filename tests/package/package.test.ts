// The release archive as Grafana installs it: artifacts/<id>-<version>.zip must hold one
// folder named after the app's id with the app, the nested data source (with a Go binary for
// every released platform, executable) and the panels, every path that a plugin.json names,
// and no unexpanded build variables. Packs first (scripts/package.sh) when no archive exists.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PLATFORMS = ['linux_amd64', 'linux_arm64', 'darwin_arm64', 'windows_amd64'] as const;

interface PluginJson {
  id: string;
  type: string;
  name: string;
  backend?: boolean;
  executable?: string;
  info: {
    version: string;
    updated: string;
    logos: { small: string; large: string };
    screenshots?: Array<{ name: string; path: string }>;
    links?: Array<{ name: string; url: string }>;
  };
  includes?: Array<{ type: string; name: string; path?: string }>;
}

interface Entry {
  mode: string;
  name: string;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const version = readJson<{ version: string }>(path.join(ROOT, 'package.json')).version;
const appId = readJson<{ id: string }>(path.join(ROOT, 'src', 'plugin.json')).id;
const archive = path.join(ROOT, 'artifacts', `${appId}-${version}.zip`);

let entries: Entry[] = [];
let files = new Set<string>();

/** The text of one archive member (`unzip -p`). */
function read(member: string): Buffer {
  return execFileSync('unzip', ['-p', archive, member], { maxBuffer: 256 * 1024 * 1024 });
}

function readPlugin(member: string): PluginJson {
  return JSON.parse(read(member).toString('utf8')) as PluginJson;
}

before(() => {
  if (!existsSync(archive)) {
    // Cold Go cross-compiles take a few minutes.
    const r = spawnSync('bash', ['scripts/package.sh'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(r.status, 0, 'scripts/package.sh failed');
  }
  // zipinfo lines: "-rwxr-xr-x  3.0 unx  27639970 b- defN 26-Nov-23 23:48 <name>".
  const listing = execFileSync('zipinfo', [archive], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  entries = listing
    .split('\n')
    .map((line) => /^([-dl][-rwxsStT]{9})\s+\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ mode: m[1] ?? '', name: m[2] ?? '' }));
  files = new Set(entries.filter((e) => !e.name.endsWith('/')).map((e) => e.name));
  assert.ok(files.size > 0, `no files listed in ${archive}`);
});

test('the archive has exactly one root folder, named after the app id', () => {
  const roots = new Set(entries.map((e) => e.name.split('/')[0]));
  assert.deepEqual([...roots], [appId]);
});

test('the archive holds the app, the nested plugins and the release files', () => {
  const required = [
    'module.js',
    'plugin.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    'go_plugin_build_manifest',
    'img/logo.svg',
    'datasource/module.js',
    'datasource/plugin.json',
    'panels/trace/module.js',
    'panels/trace/plugin.json',
    'panels/drift/module.js',
    'panels/drift/plugin.json',
  ];
  const missing = required.filter((f) => !files.has(`${appId}/${f}`));
  assert.deepEqual(missing, []);
  assert.match(
    read(`${appId}/CHANGELOG.md`).toString('utf8'),
    new RegExp(`^## ${version.replace(/\./g, '\\.')}\\b`, 'm')
  );
});

test('no sources, dependencies or test files are packed', () => {
  const unwanted = [...files].filter((f) =>
    /(^|\/)(node_modules|src|pkg|\.git)\/|\.(tsx?|go)$|\.test\.|(^|\/)\.DS_Store$/.test(f.slice(appId.length + 1))
  );
  assert.deepEqual(unwanted, []);
});

test('the data source has an executable Go binary for every released platform', () => {
  const ds = readPlugin(`${appId}/datasource/plugin.json`);
  assert.equal(ds.backend, true);
  assert.equal(ds.executable, 'gpx_pyflare');
  const executable = ds.executable ?? '';
  for (const platform of PLATFORMS) {
    const name = `${appId}/datasource/${executable}_${platform}${platform.startsWith('windows') ? '.exe' : ''}`;
    const entry = entries.find((e) => e.name === name);
    assert.ok(entry, `${name} is missing`);
    if (!platform.startsWith('windows')) {
      // Grafana starts the file directly: it must keep rwxr-xr-x through the zip.
      assert.equal(entry.mode, '-rwxr-xr-x', `${name} is ${entry.mode}`);
    }
  }
  // No stray binaries (an old platform or a debug build) next to them.
  const binaries = [...files].filter((f) => /\/gpx_/.test(f));
  assert.equal(binaries.length, PLATFORMS.length, binaries.join(', '));
});

test('the Go build manifest lists the backend sources with sha256 sums', () => {
  const lines = read(`${appId}/go_plugin_build_manifest`).toString('utf8').trim().split('\n');
  for (const line of lines) {
    assert.match(line, /^[0-9a-f]{64}:\S+\.go$/);
  }
  assert.ok(
    lines.some((l) => l.endsWith(':pkg/main.go')),
    'pkg/main.go is not in the manifest'
  );
});

test('plugin ids, types and includes match and every include resolves inside the archive', () => {
  const app = readPlugin(`${appId}/plugin.json`);
  assert.equal(app.id, 'pyflare-observability-app');
  assert.equal(app.type, 'app');
  const expected = new Map([
    ['datasource/plugin.json', { id: 'pyflare-observability-datasource', type: 'datasource' }],
    ['panels/trace/plugin.json', { id: 'pyflare-trace-panel', type: 'panel' }],
    ['panels/drift/plugin.json', { id: 'pyflare-drift-panel', type: 'panel' }],
  ]);
  const nested = (app.includes ?? []).filter((i) => i.type === 'datasource' || i.type === 'panel');
  assert.deepEqual(nested.map((i) => i.path).sort(), [...expected.keys()].sort());
  for (const include of nested) {
    const member = `${appId}/${include.path}`;
    assert.ok(files.has(member), `include ${include.path} is not in the archive`);
    const plugin = readPlugin(member);
    assert.deepEqual({ id: plugin.id, type: plugin.type }, expected.get(include.path ?? ''));
    assert.equal(plugin.type, include.type);
    assert.equal(plugin.name, include.name, `include name for ${include.path}`);
    assert.ok(files.has(path.posix.join(path.posix.dirname(member), 'module.js')), `${include.path}: no module.js`);
  }
  // Pages point into the app itself once %PLUGIN_ID% is replaced.
  for (const page of (app.includes ?? []).filter((i) => i.type === 'page' && i.path)) {
    assert.equal(page.path, `/plugins/${app.id}`);
  }
});

test('every plugin.json names its version and logos and screenshots that exist', () => {
  const pluginFiles = [...files].filter((f) => f.endsWith('/plugin.json'));
  assert.equal(pluginFiles.length, 4);
  for (const member of pluginFiles) {
    const plugin = readPlugin(member);
    assert.equal(plugin.info.version, version, `${member}: info.version`);
    assert.match(plugin.info.updated, /^\d{4}-\d{2}-\d{2}$/, `${member}: info.updated`);
    const dir = path.posix.dirname(member);
    const paths = [
      plugin.info.logos.small,
      plugin.info.logos.large,
      ...(plugin.info.screenshots ?? []).map((s) => s.path),
    ];
    for (const p of paths) {
      assert.ok(files.has(path.posix.join(dir, p)), `${member}: ${p} is not in the archive`);
    }
  }
  const app = readPlugin(`${appId}/plugin.json`);
  assert.ok((app.info.screenshots ?? []).length >= 3, 'the app lists its marketplace screenshots');
  for (const s of app.info.screenshots ?? []) {
    assert.ok(s.name.length > 0);
    // PNG signature: a screenshot that is really an image.
    assert.deepEqual([...read(`${appId}/${s.path}`).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }
});

test('no build variables are left unexpanded', () => {
  const texts = [...files].filter((f) => /(plugin\.json|README\.md|CHANGELOG\.md)$/.test(f));
  for (const member of texts) {
    const text = read(member).toString('utf8');
    assert.doesNotMatch(text, /%(VERSION|TODAY|PLUGIN_ID)%/, member);
  }
});

test('the README and CHANGELOG link only to absolute URLs (relative ones break in the plugin catalog)', () => {
  for (const member of [`${appId}/README.md`, `${appId}/CHANGELOG.md`]) {
    const text = read(member).toString('utf8');
    const relative = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^(https?:|mailto:|#)/.test(href));
    assert.deepEqual(relative, [], member);
  }
});

test('the checksum files match the archive', () => {
  const bytes = readFileSync(archive);
  for (const algo of ['sha1', 'sha256'] as const) {
    const sum = readFileSync(`${archive}.${algo}`, 'utf8');
    assert.equal(sum, `${createHash(algo).update(bytes).digest('hex')}  ${path.basename(archive)}\n`, algo);
  }
});
