/**
 * What an operator meets on day one (issue 20), on the built service (`node dist/main.js`, what
 * `npm start` runs): `PORT` as PaaS platforms inject it, the probes and the shutdown grace that fails
 * readiness before clients are closed, and a refused key said once, in words naming what to fix.
 * (`npm test` builds dist/ first.)
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/domain/protocol.js';
import { killAll, spawnService, startServiceProcess, type ServiceProcess } from '../helpers/process.js';
import { tempDataDir } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { subscribe, TestClient } from '../helpers/ws-client.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

const processes: ServiceProcess[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];
let standIn: StandIn | undefined;

afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  await killAll(processes.splice(0));
  await standIn?.close();
  standIn = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Polls `probe` until it gives a value (a wait for a state, with a deadline; not a timing assert). */
async function waitUntil<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PORT', () => {
  it('with BIND_ADDRESS unset, listens on 0.0.0.0:$PORT and the log says PORT was used', async () => {
    // Port 0: the kernel picks a free one (no fixed port in tests); the log line tells which.
    const service = spawnService({ PORT: '0', DATA_DIR: dataDir() });
    processes.push(service);
    const line = await service.waitForLog((l) => typeof l['port'] === 'number' && typeof l['url'] === 'string');
    expect(line['bind_from']).toBe('PORT');
    expect(String(line['url'])).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(String(line['msg'])).toContain('PORT=0, as BIND_ADDRESS is not set');
    expect((await fetch(`http://127.0.0.1:${String(line['port'])}/livez`)).status).toBe(200);
  });

  it('BIND_ADDRESS keeps precedence over PORT, and the log says so', async () => {
    const service = spawnService({ BIND_ADDRESS: '127.0.0.1:0', PORT: '0', DATA_DIR: dataDir() });
    processes.push(service);
    const line = await service.waitForLog((l) => typeof l['port'] === 'number' && typeof l['url'] === 'string');
    expect(line['bind_from']).toBe('BIND_ADDRESS');
    expect(String(line['url'])).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('probes', () => {
  it('/livez and /readyz answer 200 on a running service; /health is unchanged', async () => {
    const service = await startServiceProcess({ DATA_DIR: dataDir(), SIM_SPEED: '30' });
    processes.push(service);
    expect(await getJson(`${service.url}/livez`)).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await getJson(`${service.url}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
    const health = await getJson(`${service.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body['status']).toBe('healthy');
    expect(typeof health.body['timestamp']).toBe('string');
  });

  it('on SIGTERM /readyz fails first and clients are served (new ones too) for SHUTDOWN_READY_GRACE_SECS; then they are closed with 1001 and the process exits 0', async () => {
    standIn = await startStandIn();
    standIn.livescore({ body: wireEnvelope(wireMatch({ key: 8101, status: '20' })) });
    const service = await startServiceProcess(standInEnv(standIn, { DATA_DIR: dataDir(), SHUTDOWN_READY_GRACE_SECS: '6', LOG_LEVEL: 'info' }));
    processes.push(service);
    const first = await TestClient.open(service.wsUrl);
    clients.push(first);
    await subscribe(first, { action: 'subscribe_all' });
    let firstClosedAt: number | undefined;
    const firstClosed = first.closed.then((close) => {
      firstClosedAt = Date.now();
      return close;
    });
    expect((await getJson(`${service.url}/readyz`)).status).toBe(200);

    service.child.kill('SIGTERM');
    const notReady = await waitUntil(async () => {
      const probe = await getJson(`${service.url}/readyz`);
      return probe.status === 503 ? probe : undefined;
    }, '/readyz to fail after SIGTERM');
    const notReadyAt = Date.now();
    expect(notReady.body).toEqual({ status: 'not_ready', reason: 'draining' });
    // Still serving during the grace: the connected client is open, a new one is admitted and
    // subscribed, the process is alive.
    expect(firstClosedAt).toBeUndefined();
    const late = await TestClient.open(service.wsUrl);
    clients.push(late);
    expect((await subscribe(late, { action: 'subscribe_all' })).type).toBe('SUBSCRIBED');
    expect((await getJson(`${service.url}/livez`)).status).toBe(200);
    expect(firstClosedAt).toBeUndefined();

    // Then the drain: both clients closed as on any shutdown, after readiness had failed.
    const [closeFirst, closeLate] = await Promise.all([firstClosed, late.closed]);
    expect(closeFirst.code).toBe(CloseCode.GoingAway);
    expect(closeLate.code).toBe(CloseCode.GoingAway);
    expect(firstClosedAt).toBeGreaterThanOrEqual(notReadyAt);
    expect((await service.exited).code).toBe(0);
    const drainLine = service.output().split('\n').find((line) => line.includes('/readyz answers 503 from now'));
    expect(drainLine).toBeDefined();
  });
});

describe('a refused key', () => {
  it('is logged once, naming ALLSPORTS_API_KEY and the provider\'s code and message, across breaker probes; /health carries it with last_failure_kind "auth"', async () => {
    standIn = await startStandIn();
    const refusal = JSON.parse(readFileSync(new URL('../fixtures/allsportsapi/error_wrong_credentials.json', import.meta.url), 'utf8')) as unknown;
    standIn.livescore({ body: refusal });
    // A short breaker cycle: it opens after 2 failed polls and probes every 0.2 s (doubling), so
    // the key is refused again and again while the test runs.
    const service = await startServiceProcess(
      standInEnv(standIn, { DATA_DIR: dataDir(), LOG_LEVEL: 'info', UPSTREAM_BREAKER_THRESHOLD: '2', UPSTREAM_BREAKER_COOLDOWN_SECS: '0.1' }),
    );
    processes.push(service);
    const expected = 'ALLSPORTS_API_KEY was refused by AllSportsAPI (1004 Wrong login credentials): check the key';
    // Two refusals open the breaker; every later request is a probe after a cooldown.
    await standIn.waitForRequests('Livescore', 5, 20_000);
    const health = await getJson(`${service.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body['status']).toBe('degraded');
    expect(health.body['upstream']).toMatchObject({ last_failure_kind: 'auth', last_failure_message: expected });
    const said = service.output().split('\n').filter((line) => line.includes(expected));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/"level":40/);
    expect(service.output()).not.toContain('test-key');
  });
});
