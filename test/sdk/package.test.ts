/**
 * The SDK as a package (issue 18 §1): `npm pack` gives a tarball that installs into a fresh app
 * outside the repository and works there (ESM import, the types under `strict` with `ws` passed as
 * documented), and a `file:` dependency on the folder works too. Offline: the tarball has no
 * dependencies, and the app's own (`ws`, its types) are installed from this repository's copies.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE_DIR = join(ROOT, 'packages/client');
const MODULES = join(ROOT, 'node_modules');
const TSC = join(MODULES, 'typescript/bin/tsc');
const VERSION = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment without what `npm test` / `npx` set for this repository (its prefix, its package): the app is not this project. */
const APP_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

/** Runs a command to its end without blocking this process (the service under test lives in it). */
function run(command: string, args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: APP_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
    });
  });
}

/** A fresh app outside the repository, with `dependencies` installed offline. */
async function freshApp(dependencies: readonly string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fsc-sdk-app-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', ...dependencies, join(MODULES, 'ws'), join(MODULES, '@types/ws'), join(MODULES, '@types/node')], dir);
  return dir;
}

/** What a fan's Node app does: follow the feed to its first snapshot, print what it has, stop. */
const APP = `
import { FeedClient, clockMinute, PHASE_LABELS } from '@football-streaming-core/client';
import { CloseCode } from '@football-streaming-core/client/protocol';
import WebSocket from 'ws';
const feed = new FeedClient({ url: process.argv[2], WebSocket, filter: { league_ids: [9152] } });
feed.on('error', (error) => console.error(error.code, error.message));
await feed.connect();
console.log(JSON.stringify({ state: feed.state, epoch: feed.position.epoch, goingAway: CloseCode.GoingAway, label: PHASE_LABELS.first_half, minute: clockMinute(null) ?? null }));
feed.close();
`;

/** The README's Node example shape, type-checked under strict with @types/ws 8. */
const TYPED_APP = `
import { FeedClient, FeedError, type MatchView, type WireEvent } from '@football-streaming-core/client';
import WebSocket from 'ws';
const feed = new FeedClient({ url: 'ws://localhost:8080/ws', WebSocket, filter: { league_ids: ['9152', 152] } });
feed.on('event', (event: WireEvent) => {
  if (event.type === 'GOAL_SCORED') console.log(event.scorer, event.minute);
});
feed.on('match', (match: MatchView) => console.log(match.goals.length));
feed.on('error', (error: FeedError) => console.error(error.code));
try {
  await feed.connect();
} catch (error) {
  if (error instanceof FeedError && error.code === 'SUBSCRIPTION_REFUSED') process.exit(1);
}
`;

const cleanups: Array<() => unknown> = [];
let service: TestService;
let tarball: string;
beforeAll(async () => {
  service = await startService();
  const out = mkdtempSync(join(tmpdir(), 'fsc-sdk-pack-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', out], PACKAGE_DIR);
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (packed === undefined) throw new Error('npm pack made no tarball');
  tarball = join(out, packed.filename);
  files = packed.files.map((f) => f.path);
}, 240_000);
let files: string[] = [];
afterAll(async () => {
  await service.stop();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the SDK package', () => {
  it('packs the built ESM modules with declarations, the browser bundles, LICENSE, README and CHANGELOG', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/wire.d.ts', 'dist/protocol.js', 'dist/client.js', 'dist/client.min.js', 'LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']) {
      expect(files, file).toContain(file);
    }
    expect(files).not.toContain('src/wire.from-schema.ts');
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ license: 'MIT', engines: { node: expect.any(String) }, repository: { type: 'git' }, homepage: expect.any(String) });
    expect(manifest['keywords']).toEqual(expect.arrayContaining(['football', 'websocket']));
    expect(manifest['dependencies']).toBeUndefined();
    expect(tarball).toContain(`football-streaming-core-client-${VERSION}.tgz`);
  });

  it('installs from the tarball into a fresh app outside the repository, imports and follows the real service', async () => {
    const app = await freshApp([tarball]);
    writeFileSync(join(app, 'app.mjs'), APP);
    const { stdout } = await run(process.execPath, ['app.mjs', service.wsUrl], app);
    expect(JSON.parse(stdout.trim())).toEqual({ state: 'open', epoch: expect.any(String), goingAway: 1001, label: '1st half', minute: null });
  }, 240_000);

  it('type-checks in that app under strict, with ws passed as documented (no cast)', async () => {
    const app = await freshApp([tarball]);
    writeFileSync(join(app, 'app.ts'), TYPED_APP);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['app.ts'] }),
    );
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
  }, 240_000);

  it('works as a file: dependency on the folder', async () => {
    const app = await freshApp([`file:${PACKAGE_DIR}`]);
    writeFileSync(join(app, 'app.mjs'), APP);
    const { stdout } = await run(process.execPath, ['app.mjs', service.wsUrl], app);
    expect(JSON.parse(stdout.trim())).toMatchObject({ state: 'open' });
  }, 240_000);
});
