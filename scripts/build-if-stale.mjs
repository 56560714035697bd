// `prestart`: compile only when the output is missing or older than a source file, so `npm start`
// after `npm ci` builds once and later starts (restarts, tests) begin at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const marker = join(root, 'dist', '.tsbuildinfo');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const inputs = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'packages/client/src', 'packages/client/package.json'].map((p) => join(root, p));
const stale = !existsSync(marker) || Math.max(...inputs.map(newestMtime)) > statSync(marker).mtimeMs;
if (stale) {
  // The whole build: the client SDK (whose types the service compiles against, and whose browser
  // bundle it serves at /client.js), then the service.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
