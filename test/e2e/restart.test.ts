/**
 * Restart of the real process (`node dist/main.js`) on the same DATA_DIR while the simulated
 * matchday goes on. The simulator runs here, outside the service, so it survives the service; its
 * clock is real time plus an offset the test moves forward while the service is down, so matches
 * deterministically score and finish during the outage instead of the test sleeping for it.
 *
 * Client A records everything up to the kill, then resumes with since/epoch on the new process.
 * The truth it is compared with is the service's own durable history, read through GET /events:
 * same event ids, same order, no duplicate; every match announced once; every match that finished
 * during the outage or after it ended exactly once.
 *
 * One suite, two providers (issue 21): the simulator serves the matchday in AllSportsAPI's or
 * API-Football's format and the service polls it as that provider. API-Football drops a match from
 * `live=all` the moment it ends, so there the ends are only ever learnt from `ids=` look-ups.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedMatches } from '../../src/sim/matchday.js';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { killAll, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { PROVIDERS, type ProviderUnderTest } from '../helpers/providers.js';
import { eventsOf, isEvent, seqOf, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const SPEED = 300;
/** Sim seconds per real second of the matchday at SPEED: the schedule below is in matchday seconds. */
const at = (matchdaySecs: number): number => matchdaySecs * SPEED;
/**
 * Start with every played match of the first cycle under way (kick-offs 0.4 s … 10 s at this speed),
 * early enough that the first poll (a process start-up later) comes before the goals of 13.3 s …
 * 14.3 s, so the three goals the kill waits for are announced by 14.3 s. A first poll after them
 * finds them already scored (no GOAL_SCORED) and the kill waits for the goals of 15.1 s … 17.5 s:
 * starting at 13.5 s, that happened about every other run and cost 2.4 s.
 */
const START_AT = at(12.5);
/** Where the matchday stands when the service comes back: two matches finished and left the live list. */
const RESTART_AT = at(22.5);

const MATCHES = scriptedMatches(0).filter((m) => m.kind === 'played');

let sim: SimServer | undefined;
const processes: ListeningService[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await killAll(processes.splice(0));
  await sim?.close();
  sim = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startProcess(provider: ProviderUnderTest, dataDir: string): Promise<ListeningService> {
  if (sim === undefined) throw new Error('sim not started');
  const service = await startServiceProcess({
    ...provider.env(sim.baseUrl, 0.1),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
  });
  processes.push(service);
  return service;
}

async function connect(service: ListeningService): Promise<TestClient> {
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  return client;
}

/** Resolves once a received event matches (already received or still to come). */
async function waitForEvent(client: TestClient, predicate: (m: Message) => boolean, timeoutMs = 20_000): Promise<Message> {
  const seen = eventsOf(client).find(predicate);
  if (seen) return seen;
  return client.next((m) => isEvent(m) && predicate(m), timeoutMs);
}

/** The whole retained history, paged through GET /events. */
async function history(service: ListeningService): Promise<Message[]> {
  const events: Message[] = [];
  for (let since = 0; ; ) {
    const response = await fetch(`${service.url}/events?since=${since}&limit=100`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { events: Message[]; next_since: number; has_more: boolean; truncated: boolean };
    expect(page.truncated).toBe(false);
    events.push(...page.events);
    if (!page.has_more) return events;
    since = page.next_since;
  }
}

const countBy = (events: readonly Message[], type: string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === type) counts.set(String(e['match_id']), (counts.get(String(e['match_id'])) ?? 0) + 1);
  return counts;
};

async function restartScenario(provider: ProviderUnderTest, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const idOf = (label: string): string => {
    const match = MATCHES.find((m) => m.label === label);
    if (match === undefined) throw new Error(`no played match labelled ${label}`);
    return provider.matchId(match);
  };
  let clockOffsetMs = 0;
  const simulator = await startSimServer({ renderer: provider.renderer, speed: SPEED, startAtSimSecs: START_AT, now: () => Date.now() + clockOffsetMs });
  sim = simulator;
  const dataDir = mkdtempSync(join(tmpdir(), 'fsc-restart-'));
  dirs.push(dataDir);

  // --- First life -------------------------------------------------------------------------
  const first = await startProcess(provider, dataDir);
  const health = (await (await fetch(`${first.url}/health`)).json()) as { store: { epoch: string } };
  const epoch = health.store.epoch;
  const a = await connect(first);
  expect(await subscribe(a, { action: 'subscribe_all', since: 0, epoch })).toMatchObject({ resumed: true, epoch });

  // Every played match is announced, then goals keep coming; stop the process mid-stream.
  for (const match of MATCHES) await waitForEvent(a, (m) => m.type === 'MATCH_STARTED' && m['match_id'] === provider.matchId(match));
  await waitForEvent(a, () => eventsOf(a).filter((m) => m.type === 'GOAL_SCORED').length >= 3);
  first.child.kill(signal);
  const exit = await first.exited;
  const closed = await a.closed;
  if (signal === 'SIGKILL') {
    expect(exit.signal).toBe('SIGKILL');
  } else {
    expect(exit.code).toBe(0);
    expect(closed.code).toBe(1001);
  }
  const beforeKill = eventsOf(a);
  const lastSeq = seqOf(beforeKill.at(-1) as Message);
  const liveAtKill = new Set(beforeKill.filter((m) => m.type === 'MATCH_STARTED').map((m) => String(m['match_id'])));
  expect(beforeKill.some((m) => m.type === 'MATCH_ENDED')).toBe(false);

  // --- Outage: the matchday moves on (goals, two full-times, both matches leave the live list) ---
  const simSecsNow = simulator.simSecs();
  expect(simSecsNow).toBeLessThan(RESTART_AT);
  clockOffsetMs += ((RESTART_AT - simSecsNow) / SPEED) * 1000;
  const endedWhileDown = MATCHES.filter((m) => (m.endSecs ?? Infinity) <= RESTART_AT).map((m) => provider.matchId(m));
  expect(endedWhileDown.sort()).toEqual([idOf('var-cancel'), idOf('corrected-minute')].sort());
  for (const m of MATCHES.filter((x) => endedWhileDown.includes(provider.matchId(x)))) {
    expect(m.livescoreUntilSecs).toBeLessThanOrEqual(RESTART_AT); // gone from Livescore: only Fixtures can tell
  }

  // --- Second life on the same DATA_DIR ----------------------------------------------------
  const second = await startProcess(provider, dataDir);
  const restored = await second.waitForLog((l) => l['msg'] === 'restored match state from the store');
  expect(restored).toMatchObject({ matches: MATCHES.length, live: MATCHES.length });
  expect(restored['seq'] as number).toBeGreaterThanOrEqual(lastSeq);
  const a2 = await connect(second);
  expect(await subscribe(a2, { action: 'subscribe_all', since: lastSeq, epoch })).toMatchObject({ resumed: true, epoch });

  // Run on until two more matches finished after the restart.
  const endedAfter = [idOf('unsorted-subs'), idOf('vanishing')];
  for (const id of [...endedWhileDown, ...endedAfter]) {
    await waitForEvent(a2, (m) => m.type === 'MATCH_ENDED' && m['match_id'] === id);
  }

  // --- The verdict ---------------------------------------------------------------------------
  const all = await history(second);
  const newest = seqOf(all.at(-1) as Message);
  await waitForEvent(a2, (m) => seqOf(m) >= newest);
  const stream = [...beforeKill, ...eventsOf(a2)].filter((m) => seqOf(m) <= newest);

  const seqs = stream.map(seqOf);
  expect(new Set(seqs).size, 'duplicate seq in the resumed stream').toBe(seqs.length);
  const ids = stream.map((m) => String(m['event_id']));
  expect(new Set(ids).size, 'duplicate event_id in the resumed stream').toBe(ids.length);
  expect(ids).toEqual(all.map((m) => String(m['event_id'])));
  expect(stream).toEqual(all);
  expect(all.map(seqOf)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  const historyIds = all.map((m) => String(m['event_id']));
  expect(new Set(historyIds).size).toBe(historyIds.length);

  // No match re-announced: exactly one MATCH_STARTED per played match in the whole history.
  expect(countBy(all, 'MATCH_STARTED')).toEqual(new Map(MATCHES.map((m) => [provider.matchId(m), 1])));
  // Every match live at the kill that has finished since ended exactly once; the others not at all.
  const ended = countBy(all, 'MATCH_ENDED');
  for (const id of [...endedWhileDown, ...endedAfter]) {
    expect(liveAtKill.has(id)).toBe(true);
    expect(ended.get(id), `MATCH_ENDED of ${id}`).toBe(1);
  }
  const stillPlaying = MATCHES.filter((m) => (m.endSecs ?? 0) > simulator.simSecs()).map((m) => provider.matchId(m));
  for (const id of stillPlaying) expect(ended.has(id), `${id} has not finished`).toBe(false);
  // Goals scored during the outage were announced after the restart, once.
  const goalsAfterKill = stream.filter((m) => m.type === 'GOAL_SCORED' && seqOf(m) > lastSeq);
  expect(goalsAfterKill.length).toBeGreaterThan(0);

  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
}

describe.each(PROVIDERS)('restart on the same DATA_DIR while the matchday goes on ($name)', (provider) => {
  it('after SIGKILL mid-stream, a resuming client ends with exactly the durable stream; nothing re-announced, every end announced once', async () => {
    await restartScenario(provider, 'SIGKILL');
  }, 45_000);

  it('after a clean SIGTERM restart, the same guarantees hold', async () => {
    await restartScenario(provider, 'SIGTERM');
  }, 45_000);
});
