/**
 * `npm test`'s `pretest` step (scripts/ensure-chromium.mjs) on a machine without Chromium: as root
 * it installs it with apt-get, otherwise it prints one line saying what to run and fails; with
 * Chromium present it says nothing. apt-get here is a stand-in on PATH that records its arguments
 * and "installs" by creating the file (there is no network in tests); the script itself is real.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

const SCRIPT = join(ROOT, 'scripts', 'ensure-chromium.mjs');
const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory with a fake `apt-get` that logs its calls and creates `chromium` on install. */
function rig(): { dir: string; chromium: string; calls: () => string[]; run: (options?: { uid?: number; gid?: number }) => ReturnType<typeof spawnSync> } {
  const dir = mkdtempSync(join(tmpdir(), 'fsc-chromium-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  const chromium = join(dir, 'chromium');
  const log = join(dir, 'apt-get.log');
  // The script runs from a copy in this world-readable directory: run as `nobody`, it could not read
  // the checkout's own copy when the clone sits inside a directory only root may enter (mktemp -d).
  const script = join(dir, 'ensure-chromium.mjs');
  copyFileSync(SCRIPT, script);
  chmodSync(script, 0o644);
  const aptGet = join(dir, 'apt-get');
  writeFileSync(
    aptGet,
    `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> "${log}"\nif [ "$1" = install ]; then touch "${chromium}"; fi\n`,
  );
  chmodSync(aptGet, 0o755);
  return {
    dir,
    chromium,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    run: (options = {}) =>
      spawnSync(process.execPath, [script, chromium], {
        // Not the checkout either: `nobody` may not be able to enter it.
        cwd: dir,
        env: { PATH: `${dir}:${process.env['PATH'] ?? ''}`, HOME: tmpdir() },
        encoding: 'utf8',
        ...options,
      }),
  };
}

it('runs before npm test', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(manifest.scripts['pretest']?.split(' && ')).toEqual(['node scripts/ensure-chromium.mjs', 'node scripts/ensure-redis.mjs', 'node scripts/ensure-prometheus.mjs']);
});

it('says nothing and succeeds when Chromium is present', () => {
  const r = rig();
  writeFileSync(r.chromium, '');
  const result = r.run();
  expect(result.status).toBe(0);
  expect(`${String(result.stdout)}${String(result.stderr)}`).toBe('');
  expect(r.calls()).toEqual([]);
});

// Not root: print what to run (one line) and fail. As root, the script is run as `nobody`.
it('without root, prints one line saying what to run and fails, installing nothing', () => {
  const r = rig();
  const result = r.run(isRoot ? { uid: 65534, gid: 65534 } : {});
  expect(result.status).toBe(1);
  expect(String(result.stdout)).toBe('');
  const lines = String(result.stderr).trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`Chromium is missing (${r.chromium})`);
  expect(lines[0]).toContain('sudo apt-get update && sudo apt-get install -y chromium');
  expect(r.calls()).toEqual([]);
});

// Installing needs root; this machine's tests (and CI) run as root.
it.runIf(isRoot)('as root, installs Chromium with apt-get update and apt-get install -y chromium', () => {
  const r = rig();
  const result = r.run();
  expect(result.status, String(result.stderr)).toBe(0);
  expect(r.calls()).toEqual(['noninteractive update', 'noninteractive install -y chromium']);
  expect(existsSync(r.chromium)).toBe(true);
});
