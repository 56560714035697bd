/**
 * A store that cannot write must show (issue 8 §4): a real SQLite file with a corrupt page under
 * the event log starts (its meta and match states are intact), but every commit fails. The poll is
 * counted failed, a store-error counter rises, `/health` turns `unhealthy` (503) with a `store`
 * detail after consecutive failures, and nothing that was not committed is broadcast.
 */
import { openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/store/sqlite-event-store.js';
import { STORE_FAILURES_UNHEALTHY } from '../../src/store/monitored-store.js';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { pollUntil, settle } from '../helpers/waits.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';

let standIn: StandIn | undefined;
const services: TestService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
  await standIn?.close();
});

/** Overwrites the root page of the `events` table with garbage, as a failing disk would. */
function corruptEventLog(dataDir: string): void {
  const file = join(dataDir, DATABASE_FILE);
  const db = new Database(file, { readonly: true });
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as { rootpage: number }).rootpage;
  db.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (root - 1) * pageSize);
  closeSync(fd);
}

it('a store that fails every commit makes polls fail, counts store errors, turns /health unhealthy and broadcasts nothing', async () => {
  standIn = await startStandIn();
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 31, status: '10' })) });
  const dataDir = tempDataDir();
  const first = await startService(standInEnv(standIn), { dataDir, keepData: true });
  services.push(first);
  expect(await settle(first)).toBe(1);
  await first.stop();
  services.length = 0;
  corruptEventLog(dataDir);

  const service = await startService(standInEnv(standIn), { dataDir });
  services.push(service);
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 31, status: '12', goals: [wireGoal('home', '11', 'A. Striker', '1 - 0')] })) });
  const failed = await pollUntil(service, (outcome) => !outcome.ok);
  expect(failed).toMatchObject({ ok: false, error: { kind: 'store' } });
  for (let i = 1; i < STORE_FAILURES_UNHEALTHY; i += 1) expect((await service.app.poller.nextPoll()).ok).toBe(false);

  const health = await fetch(`${service.url}/health`);
  expect(health.status).toBe(503);
  const body = (await health.json()) as { status: string; store: Record<string, unknown> };
  expect(body.status).toBe('unhealthy');
  expect(String(body.store['error'])).toMatch(/malformed|corrupt|not a database/i);
  expect(body.store['consecutive_write_failures']).toBeGreaterThanOrEqual(STORE_FAILURES_UNHEALTHY);
  // Readiness fails while the store fails (no new clients here); liveness does not (a restart cannot fix a disk).
  const ready = await fetch(`${service.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: 'not_ready', reason: 'store_failing', detail: expect.stringMatching(/malformed|corrupt|not a database/i) });
  expect((await fetch(`${service.url}/livez`)).status).toBe(200);

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  expect(metrics).toMatch(/fsc_polls_total\{outcome="failed"\} [1-9]/);
  expect(metrics).toMatch(/fsc_store_errors_total\{operation="commit"\} [1-9]/);
  // Nothing was announced: no event line after the restart, and the book still shows no goal.
  expect(service.logs.some((line) => line.includes('"msg":"event"'))).toBe(false);
  expect(service.app.book.match('31')?.goals).toEqual([]);
});
