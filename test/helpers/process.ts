/**
 * Runs the built service as a child process (`node dist/main.js`, what `npm start` runs after its
 * build step), for tests of process behaviour: signals, exit codes, kill -9, what it prints.
 * `npm test` builds `dist/` before the tests run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything the process printed on stdout and stderr so far. */
  output(): string;
  /** Resolves with the first parsed JSON log line that matches. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ListeningService extends ServiceProcess {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
}

export interface SpawnOptions {
  /** Run under this open-file limit (`ulimit -n`, through `sh`; the process is still node itself, by exec). */
  readonly openFiles?: number;
  /** Its own process group (so a test can signal the whole group, as a supervisor or Ctrl-C does). */
  readonly detached?: boolean;
}

/** Spawns the service with exactly `env` (plus PATH/HOME); does not wait for anything. */
export function spawnService(env: Record<string, string>, options: SpawnOptions = {}): ServiceProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run "npm run build" first (npm test does)`);
  const [command, args] =
    options.openFiles === undefined
      ? [process.execPath, [MAIN]]
      : ['/bin/sh', ['-c', `ulimit -n ${Math.floor(options.openFiles)} && exec "$0" "$1"`, process.execPath, MAIN]];
  const child = spawn(command, args, {
    // Not the repository root: a developer's .env there (say, with a real API key) must not leak into tests.
    cwd: tmpdir(),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.detached === true ? { detached: true } : {}),
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const parsedLines = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })
      .filter((line): line is Record<string, unknown> => line !== undefined);
  return {
    child,
    output: () => text,
    exited,
    waitForLog(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = parsedLines().find(predicate);
          if (found) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${text.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        exited.then(() => {
          if (listeners.has(check)) {
            check();
            if (listeners.has(check)) {
              listeners.delete(check);
              clearTimeout(timer);
              reject(new Error(`process exited before the log line appeared; output:\n${text.slice(-3000)}`));
            }
          }
        }, reject);
        check();
      });
    },
  };
}

/** Spawns the service on port 0 and waits until it logs where it listens. */
export async function startServiceProcess(env: Record<string, string>, options: SpawnOptions = {}): Promise<ListeningService> {
  const service = spawnService({ BIND_ADDRESS: '127.0.0.1:0', ...env }, options);
  // Generous (it only bounds a hang): on a loaded machine a start, WORKERS above all, took over 30 s.
  const line = await service.waitForLog((l) => typeof l['port'] === 'number' && typeof l['url'] === 'string', 60_000);
  const url = String(line['url']);
  return { ...service, url, wsUrl: `${url.replace('http', 'ws')}/ws`, port: Number(line['port']) };
}

/** Test clean-up: kills (SIGKILL) each process still running and waits until every one has exited. */
export async function killAll(processes: readonly ServiceProcess[]): Promise<void> {
  for (const service of processes) {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await service.exited;
  }
}
