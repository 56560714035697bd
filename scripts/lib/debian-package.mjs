// Shared by the `pretest` checks for tools the tests run (redis-server, prometheus/promtool): present,
// silent; missing and running as root, installed with apt-get (as Playwright's `install --with-deps`
// would), and the daemon Debian's package starts where its init system lets it is stopped again (the
// tests start their own, on free ports); missing otherwise, one line saying what to run, exit 1.
import { spawnSync } from 'node:child_process';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/**
 * @param {{ command: string, pkg: string, neededBy: string, service?: string, noRecommends?: boolean }} tool
 *   `command` is looked up on PATH; `pkg` is the Debian package that brings it; `service` is the
 *   packaged daemon to stop after installing.
 */
export function ensureDebianPackage({ command, pkg, neededBy, service, noRecommends = false }) {
  if (has(command)) return;
  const installArgs = ['install', '-y', ...(noRecommends ? ['--no-install-recommends'] : []), pkg];
  const install = `apt-get update && apt-get ${installArgs.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`${command} is missing and ${neededBy} need(s) it: run "sudo ${install.replace('&& ', '&& sudo ')}", then npm test again.`);
    process.exit(1);
  }
  console.error(`${command} is missing: installing it with "${install}"`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], installArgs]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : `exit status ${result.status ?? result.signal}`;
      console.error(`Installing ${pkg} failed (apt-get ${args.join(' ')}: ${why}): run "${install}" yourself, then npm test again.`);
      process.exit(1);
    }
  }
  if (!has(command)) {
    console.error(`apt-get installed ${pkg} but ${command} is still not on PATH: install Debian's ${pkg} package, then npm test again.`);
    process.exit(1);
  }
  // A policy that refused the start refuses the stop too; either way nothing is left running.
  if (service !== undefined) spawnSync('invoke-rc.d', [service, 'stop'], { stdio: 'ignore', env });
}
