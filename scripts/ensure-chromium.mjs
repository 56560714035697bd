// `pretest`: the browser test drives Debian's Chromium (/usr/bin/chromium); nothing is downloaded
// by a test tool. Present: silent, exit 0. Missing and running as root: installed with apt-get (as
// Playwright's `install --with-deps` would). Missing otherwise: one line saying what to run, exit 1.
// Usage: node scripts/ensure-chromium.mjs [path]   (the path is for this script's own test)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.argv[2] ?? '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

if (existsSync(path)) process.exit(0);

if (process.getuid?.() !== 0) {
  console.error(`Chromium is missing (${path}) and the browser test needs it: run "sudo ${INSTALL.replace('&& ', '&& sudo ')}", then npm test again.`);
  process.exit(1);
}

console.error(`Chromium is missing (${path}): installing it with "${INSTALL}"`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', 'chromium']]) {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit status ${result.status ?? result.signal}`;
    console.error(`Installing Chromium failed (apt-get ${args.join(' ')}: ${why}): run "${INSTALL}" yourself, then npm test again.`);
    process.exit(1);
  }
}
if (!existsSync(path)) {
  console.error(`apt-get installed chromium but ${path} is still missing: install Debian's chromium package, then npm test again.`);
  process.exit(1);
}
