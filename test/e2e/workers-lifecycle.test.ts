/**
 * A `WORKERS` instance's life as real processes (issue 16 §15, §16): workers that cannot start are
 * not re-forked forever (the instance gives up, non-zero, with one line naming the cause); a
 * SIGTERM during start-up stops at once and exits 0; and a worker that gets both the primary's
 * relayed stop and its own SIGTERM (a signal to the whole process group) drains once and exits 0.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { killAll, spawnService, startServiceProcess, type ServiceProcess } from '../helpers/process.js';
import { tempDataDir } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { TestClient } from '../helpers/ws-client.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

let standIn: StandIn | undefined;
const services: ServiceProcess[] = [];
const servers: Server[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await killAll(services.splice(0));
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await standIn?.close();
  standIn = undefined;
});

/** A TCP server on a free port that accepts connections and never answers (a hung Redis). */
async function blackHole(): Promise<number> {
  const server = createServer((socket) => socket.on('error', () => undefined));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Resolves with the exit, or rejects after `timeoutMs` saying what the process printed. */
async function exitWithin(service: ServiceProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      service.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms; output:\n${service.output().slice(-3000)}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const lines = (service: ServiceProcess): Array<Record<string, unknown>> =>
  service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

it('WORKERS=2 with the port in use: backs off, gives up, exits non-zero with one line naming the cause', async () => {
  const holder = createServer();
  servers.push(holder);
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as AddressInfo;
  standIn = await startStandIn();
  const service = spawnService({ ...standInEnv(standIn), DATA_DIR: tempDataDir(), WORKERS: '2', BIND_ADDRESS: `127.0.0.1:${port}` });
  services.push(service);
  // Before the fix it forked ~3 workers a second forever.
  const exit = await exitWithin(service, 120_000);
  expect(exit.code).not.toBe(0);
  expect(exit.code).not.toBeNull();
  const fatal = lines(service).filter((line) => line['level'] === 60);
  expect(fatal).toHaveLength(1);
  expect(String(fatal[0]?.['msg'])).toBe(`start-up failed: BIND_ADDRESS 127.0.0.1:${port} is already in use`);
  // Two workers, then re-forks after a back-off: the instance gives up at the fourth failure
  // (WORKERS + 2), after three back-offs. (A fork due just then may still fail before it is stopped.)
  const retries = lines(service).filter((line) => line['msg'] === 'worker failed to start; forking another after a back-off');
  expect(retries.map((line) => line['retry_in_ms'])).toEqual([250, 500, 1000]);
  const failures = lines(service).filter((line) => String(line['msg']).startsWith('worker start-up failed'));
  expect(failures.length).toBeGreaterThanOrEqual(4);
  expect(failures.length).toBeLessThanOrEqual(5);
}, 180_000);

it('SIGTERM while the workers are still starting: exits 0 at once, not after SHUTDOWN_TIMEOUT_SECS with 1', async () => {
  // Workers hang in start-up (their Redis accepts and never answers); the primary is up.
  const redisPort = await blackHole();
  const service = spawnService({ REDIS_URL: `redis://127.0.0.1:${redisPort}/0`, WORKERS: '2', BIND_ADDRESS: '127.0.0.1:0', SHUTDOWN_TIMEOUT_SECS: '20' });
  services.push(service);
  await service.waitForLog((line) => line['msg'] === 'starting 2 workers', 60_000);
  service.child.kill('SIGTERM');
  // Before the fix: exit 1 once SHUTDOWN_TIMEOUT_SECS (20 s) ran out. The bound only guards a hang.
  const exit = await exitWithin(service, 60_000);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(service.output()).not.toContain('graceful shutdown took too long');
}, 150_000);

/** Two workers on a stand-in whose polls hang once the match is known, with a client connected. */
async function busyInstance(options: { detached?: boolean } = {}) {
  standIn = await startStandIn();
  let hang = false;
  standIn.livescore(() => (hang ? { delayMs: 60_000, body: wireEnvelope() } : { body: wireEnvelope(wireMatch({ key: 9101, status: '30' })) }));
  const service = await startServiceProcess(
    // The writer waits SHUTDOWN_TIMEOUT_SECS − 4 s for its poll in flight before aborting it: a stop that takes a while.
    { ...standInEnv(standIn, { UPSTREAM_TIMEOUT_SECS: '120' }), DATA_DIR: tempDataDir(), WORKERS: '2', SHUTDOWN_TIMEOUT_SECS: '9' },
    options,
  );
  services.push(service);
  await service.waitForLog((line) => line['msg'] === 'all 2 workers are listening', 60_000);
  const named = await service.waitForLog((line) => line['msg'] === 'worker named the writer (it polls, detects and commits)', 60_000);
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  client.send({ action: 'subscribe_all', since: 0, epoch: 'unknown' });
  await client.next((m) => m.type === 'MATCH_STARTED' || (m.type === 'SNAPSHOT' && Array.isArray(m['matches']) && m['matches'].length > 0));
  hang = true;
  const polls = standIn.count('Livescore');
  await standIn.waitForRequests('Livescore', polls + 1);
  return { service, writer: { id: Number(named['worker']), pid: Number(named['pid']) } };
}

function expectGracefulStop(service: ServiceProcess): void {
  const all = lines(service);
  expect(all.filter((line) => line['msg'] === 'stopped')).toHaveLength(2);
  expect(all.filter((line) => line['msg'] === 'second signal: exiting at once')).toEqual([]);
  expect(service.output()).not.toContain('graceful shutdown took too long');
}

it('a worker that gets its own SIGTERM after the primary relayed the stop drains once and exits 0', async () => {
  const { service, writer } = await busyInstance();
  service.child.kill('SIGTERM');
  // The relay reached the writer, which now waits for its poll in flight...
  await service.waitForLog((line) => line['msg'] === 'signal received: shutting down gracefully' && line['worker'] === writer.id && line['signal'] === 'primary', 60_000);
  // ...when the same stop arrives as a signal of its own (what a signal to the process group brings, in this order).
  process.kill(writer.pid, 'SIGTERM');
  const exit = await exitWithin(service, 60_000);
  expect(exit).toEqual({ code: 0, signal: null });
  expectGracefulStop(service);
}, 150_000);

it('SIGTERM to the whole process group: every process drains once, exit 0', async () => {
  const { service } = await busyInstance({ detached: true });
  const pid = service.child.pid;
  expect(pid).toBeGreaterThan(0);
  process.kill(-(pid as number), 'SIGTERM');
  const exit = await exitWithin(service, 60_000);
  expect(exit).toEqual({ code: 0, signal: null });
  expectGracefulStop(service);
}, 150_000);
