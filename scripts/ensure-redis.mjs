// `pretest`: the scale-out tests need Redis. Those that stop, pause or flush it start their own
// `redis-server` on a free port; the store and bus contract suites use the one at REDIS_TEST_URL
// (default redis://127.0.0.1:6379/0). Everything present: silent, exit 0. `redis-server` missing and
// running as root: installed with apt-get. Nothing answering on the default address: a throwaway
// one is started there (`--save ""`, nothing persisted), as on the machines this project runs on.
// Otherwise: one line saying what to run, exit 1.
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';

const INSTALL = 'apt-get update && apt-get install -y redis-server';
const testUrl = process.env['REDIS_TEST_URL'];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Resolves true when something on host:port answers PING with PONG. */
function answers(host, port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

if (!has('redis-server')) {
  if (process.getuid?.() !== 0) {
    console.error(`redis-server is missing and the scale-out tests need it: run "sudo ${INSTALL.replace('&& ', '&& sudo ')}", then npm test again.`);
    process.exit(1);
  }
  console.error(`redis-server is missing: installing it with "${INSTALL}"`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'redis-server']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      console.error(`Installing redis-server failed (apt-get ${args.join(' ')}): run "${INSTALL}" yourself, then npm test again.`);
      process.exit(1);
    }
  }
}

// A Redis the developer named is theirs to run; the default one is started when nothing answers.
if (testUrl === undefined && !(await answers('127.0.0.1', 6379))) {
  const started = spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'], {
    stdio: 'inherit',
  });
  if (started.status !== 0 || !(await answers('127.0.0.1', 6379))) {
    console.error('No Redis answers on 127.0.0.1:6379 and one could not be started there: start one, or set REDIS_TEST_URL, then npm test again.');
    process.exit(1);
  }
}
