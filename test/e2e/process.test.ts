/**
 * The real process, as `npm start` runs it (`node dist/main.js`, built by `npm run build`): with no
 * API key and no base URL it plays the built-in simulated matchday at the default speed, says so in
 * the log, serves the test page and pushes events; SIGTERM and SIGINT stop it with exit code 0
 * after closing clients with 1001 (going away).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/domain/protocol.js';
import { startServiceProcess, type ListeningService } from '../helpers/process.js';
import { isEvent, TestClient } from '../helpers/ws-client.js';

const running: ListeningService[] = [];
const dataDirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsc-e2e-'));
  dataDirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const service of running.splice(0)) {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await service.exited;
  }
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ListeningService> {
  // Exactly the environment of a fresh machine: no key, no base URL, no SIM_SPEED.
  const service = await startServiceProcess({ DATA_DIR: dataDir() });
  running.push(service);
  return service;
}

describe('the service process on the built-in simulated matchday', () => {
  it('starts without a key, says so, serves the page, pushes MATCH_STARTED, and stops on SIGTERM with 0 after closing clients with 1001', async () => {
    const service = await start();
    const notice = await service.waitForLog((line) => typeof line['msg'] === 'string' && line['msg'].includes('No ALLSPORTS_API_KEY set'));
    expect(notice['msg']).toMatch(/simulated matchday/);
    expect(notice['msg']).toMatch(/Set ALLSPORTS_API_KEY to poll the real AllSportsAPI/);

    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await page.text()).toLowerCase()).toContain('<!doctype html>');

    const client = await TestClient.open(service.wsUrl);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    // The first scripted kick-off is two simulated minutes in: four seconds at the default speed.
    const started = await client.nextOfType('MATCH_STARTED', 30_000);
    expect(started).toMatchObject({ match_id: expect.stringMatching(/^\d+$/), league_id: expect.stringMatching(/^\d+$/) });
    expect(client.received.filter(isEvent).length).toBeGreaterThan(0);

    service.child.kill('SIGTERM');
    const [exit, closed] = await Promise.all([service.exited, client.closed]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(closed.code).toBe(CloseCode.GoingAway);
    expect(service.output()).toContain('signal received: shutting down gracefully');
  });

  it('stops on SIGINT with exit code 0, closing clients with 1001', async () => {
    const service = await start();
    const client = await TestClient.open(service.wsUrl);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');

    service.child.kill('SIGINT');
    const [exit, closed] = await Promise.all([service.exited, client.closed]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(closed.code).toBe(CloseCode.GoingAway);
    const stopped = service.output().split('\n').filter((line) => line.includes('"msg":"stopped"'));
    expect(stopped).toHaveLength(1);
  });
});
