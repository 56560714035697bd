/**
 * `PROVIDER=api-football npm start` (the built `node dist/main.js`) with no key: the simulated
 * matchday served in API-Football's format, polled and parsed as API-Football, delivered over
 * WebSocket end to end — kick-offs, goals, and the ends the service only learns by confirming a match
 * that left `live=all` (issue 21 "Done when"). A wrong combination stops start-up with one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, spawnService, startServiceProcess, type ServiceProcess } from '../helpers/process.js';
import { TestClient } from '../helpers/ws-client.js';

const running: ServiceProcess[] = [];
const dataDirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsc-e2e-af-'));
  dataDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await killAll(running.splice(0));
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('PROVIDER=api-football with no key', () => {
  it('plays the simulated matchday through the API-Football parser and delivers it over WebSocket', async () => {
    // 240 sim seconds per second: a 90-minute match in about 25 s.
    const service = await startServiceProcess({ PROVIDER: 'api-football', DATA_DIR: dataDir(), SIM_SPEED: '240' });
    running.push(service);
    const notice = await service.waitForLog((line) => typeof line['msg'] === 'string' && line['msg'].includes('No APIFOOTBALL_API_KEY set'));
    expect(notice['msg']).toMatch(/Set APIFOOTBALL_API_KEY to poll the real API-Football/);

    const client = await TestClient.open(service.wsUrl);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    const started = await client.nextOfType('MATCH_STARTED', 60_000);
    expect(started).toMatchObject({ match_id: expect.stringMatching(/^\d+$/) });
    const goal = await client.nextOfType('GOAL_SCORED', 60_000);
    expect(goal).toMatchObject({ team: expect.stringMatching(/^(home|away)$/), score: expect.stringMatching(/^\d+-\d+$/) });
    // A finished match leaves live=all at once: the service confirms it with ids= before MATCH_ENDED.
    const ended = await client.nextOfType('MATCH_ENDED', 120_000);
    expect(ended).toMatchObject({ final_score: expect.stringMatching(/^\d+-\d+$/), status: expect.any(String) });
    expect(service.output()).toContain('match vanished from the live list; looked it up');

    const health = (await (await fetch(`${service.url}/health`)).json()) as { upstream: Record<string, unknown> };
    expect(health.upstream['source']).toBe('simulated');
    expect(health.upstream['last_failure_kind']).toBeNull();
    client.close();
  });
});

describe('a wrong combination stops start-up with one line naming the variables', () => {
  it.each([
    [{ PROVIDER: 'api-football', UPSTREAM_MODE: 'push' }, 'PROVIDER, UPSTREAM_MODE'],
    [{ PROVIDER: 'api-football', ALLSPORTS_API_KEY: 'some-allsports-key' }, 'PROVIDER, ALLSPORTS_API_KEY'],
    [{ APIFOOTBALL_API_KEY: 'some-apifootball-key' }, 'PROVIDER, APIFOOTBALL_API_KEY'],
    // The key pasted into the wrong variable: the line names it, never shows it.
    [{ PROVIDER: 'api-football', APIFOOTBALL_API_KEY: 'some-apifootball-key', APIFOOTBALL_LEAGUES: 'some-apifootball-key' }, 'APIFOOTBALL_LEAGUES'],
  ])('%j', async (env, variables) => {
    const service = spawnService({ BIND_ADDRESS: '127.0.0.1:0', DATA_DIR: dataDir(), ...env });
    running.push(service);
    const exit = await service.exited;
    expect(exit.code).toBe(1);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${variables}: `);
    expect(service.output()).not.toMatch(/some-(allsports|apifootball)-key/);
  });
});
