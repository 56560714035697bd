/**
 * A private `redis-server` for tests: on a free port, in its own directory, nothing persisted unless
 * a test asks for a `SAVE`. Used by tests that stop, pause or empty Redis, and by the global setup for
 * the test run's own Redis (the global setup loads this file before REDIS_TEST_URL exists).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What `save()` needs of a client. */
interface Saver {
  save(): Promise<unknown>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL): connections drop at once; keeps its last `SAVE` on disk. */
  kill(): Promise<void>;
  /** Starts it again on the same port; with `keepData` it loads what the last `save()` wrote, else it starts empty. */
  restart(options: { keepData: boolean }): Promise<void>;
  /** Writes the data to disk (`SAVE`), so that `restart({ keepData: true })` brings it back. */
  save(redis: Saver): Promise<void>;
  /** Sends a signal to the server process (SIGSTOP / SIGCONT to pause it). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Starts a private `redis-server` (no automatic persistence) on a free port, in its own directory. */
export async function startRedisServer(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'fsc-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<boolean> => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await new Promise<boolean>((resolve) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('Ready to accept connections')) resolve(true);
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('exit', () => resolve(false));
    });
    if (ready) child = started;
    return ready;
  };

  // A free port can be taken between the probe and the start: try a few.
  for (let attempt = 0; ; attempt += 1) {
    port = await freePort();
    if (await launch()) break;
    if (attempt >= 3) throw new Error('redis-server did not start (is it installed?)');
  }

  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    kill,
    async restart({ keepData }) {
      await kill();
      if (!keepData) rmSync(join(dir, 'dump.rdb'), { force: true });
      // Same port: the clients under test reconnect to it.
      if (!(await launch())) throw new Error(`redis-server did not restart on port ${port}`);
    },
    async save(redis) {
      await redis.save();
    },
    signal(signal) {
      child?.kill(signal);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
