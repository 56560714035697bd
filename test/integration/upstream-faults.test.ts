/**
 * Upstream faults against a stand-in provider over real HTTP: HTTP 500, a timeout, an error body
 * with HTTP 200, truncated JSON, a body that is not JSON, and an item without `event_key`.
 *
 * In every case: the retries are the ones the issue asks for (transient failures only), no event
 * reaches a subscribed client, the live match is neither ended nor started again, /health says
 * "degraded" while failing and "healthy" after, and the API key never appears in the log.
 *
 * Each faulty reply also carries a new goal for the live match, so a service that accepted any part
 * of a faulty reply would announce it. MISSING_POLLS_BEFORE_END=1 makes a single failed poll that
 * was mistaken for an empty live list end the match at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PollOutcome } from '../../src/engine/polling-source.js';
import { logLines, startWithStandIn, type TestService } from '../helpers/service.js';
import type { CannedReply, StandIn } from '../helpers/stand-in.js';
import { pollUntil } from '../helpers/waits.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';
import { isEvent, roundTrip, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const API_KEY = 'secret-key-123';
const MATCH_ID = '7007';

const firstGoal = wireGoal('home', '12', 'A. Opener', '1 - 0');
const secondGoal = wireGoal('away', '30', 'B. Leveller', '1 - 1');
const thirdGoal = wireGoal('home', '41', 'C. Winner', '2 - 0');

const liveMatch = (...goals: ReturnType<typeof wireGoal>[]) =>
  wireMatch({ key: Number(MATCH_ID), status: String(20 + goals.length * 5), goals });

/** The reply of a healthy provider showing the live match with `goals`. */
const good = (...goals: ReturnType<typeof wireGoal>[]): CannedReply => ({ body: wireEnvelope(liveMatch(...goals)) });

/** The same match one goal further, as JSON text, to build faulty bodies from. */
const changedText = JSON.stringify(wireEnvelope(liveMatch(firstGoal, secondGoal)));

interface Harness {
  standIn: StandIn;
  service: TestService;
  client: TestClient;
}

let harness: Harness | undefined;

afterEach(async () => {
  if (harness === undefined) return;
  await harness.client.close();
  await harness.service.stop();
  await harness.standIn.close();
  harness = undefined;
});

async function start(env: Record<string, string> = {}): Promise<Harness> {
  const { standIn, service } = await startWithStandIn({
    ALLSPORTS_API_KEY: API_KEY,
    MISSING_POLLS_BEFORE_END: '1',
    // Keep the circuit breaker out of these tests: they look at retries and recovery, not at the breaker.
    UPSTREAM_BREAKER_THRESHOLD: '1000',
    ...env,
  });
  const client = await TestClient.open(service.wsUrl);
  harness = { standIn, service, client };
  await subscribe(client, { action: 'subscribe_all' });
  // The match is live (first seen with a goal already scored) and followed before any fault.
  standIn.livescore(good(firstGoal));
  await client.next((m) => m.type === 'MATCH_STARTED' && m['match_id'] === MATCH_ID);
  return harness;
}

async function health(service: TestService): Promise<Record<string, unknown>> {
  const response = await fetch(`${service.url}/health`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

const eventsOfMatch = (client: TestClient): Message[] => client.received.filter((m) => isEvent(m) && m['match_id'] === MATCH_ID);

const kindOf = (outcome: PollOutcome | undefined): string | undefined => (outcome && !outcome.ok ? outcome.error.kind : undefined);
const messageOf = (outcome: PollOutcome | undefined): string => (outcome && !outcome.ok ? outcome.error.message : '');

/** A few polls: a fault (or the recovery) shows in the first poll that fetches it. */
const FEW_POLLS = 5;

interface FaultRun {
  /** Outcomes of the failed polls observed, in order. */
  readonly failures: PollOutcome[];
  /** Livescore requests made by each of those polls (the first one excepted: it may have begun before the fault). */
  readonly requestsPerPoll: number[];
}

/**
 * Switches the stand-in to `fault`, waits for `polls` failed polls, checks that nothing was sent
 * and /health is degraded, then restores the provider and checks the recovery.
 */
async function runFault(h: Harness, fault: CannedReply, polls: number): Promise<FaultRun> {
  const { standIn, service, client } = h;
  const eventsBefore = eventsOfMatch(client);
  expect(eventsBefore.map((e) => e.type)).toEqual(['MATCH_STARTED']);

  standIn.livescore(fault);
  const failures: PollOutcome[] = [];
  const requestsPerPoll: number[] = [];
  // A poll in flight at the switch may still have fetched the good reply.
  failures.push(await pollUntil(service, (outcome) => !outcome.ok, FEW_POLLS));
  for (let i = 1; i < polls; i += 1) {
    const before = standIn.count('Livescore');
    const outcome = await service.app.poller.nextPoll();
    requestsPerPoll.push(standIn.count('Livescore') - before);
    failures.push(outcome);
  }
  // Every poll failed, and for the same reason.
  expect(new Set(failures.map(kindOf)).size).toBe(1);
  expect(kindOf(failures[0])).toBeDefined();

  // Nothing was sent: not the goal inside the faulty reply, not a MATCH_ENDED for the "missing" match.
  await roundTrip(client);
  expect(client.received.filter(isEvent)).toEqual(eventsBefore);
  expect((await health(service))['status']).toBe('degraded');
  expect(service.app.book.match(MATCH_ID)).toMatchObject({ started: true, ended: false });

  // The provider recovers, showing the match as before the fault: nothing new to say.
  standIn.livescore(good(firstGoal));
  await pollUntil(service, (outcome) => outcome.ok, FEW_POLLS);
  expect((await health(service))['status']).toBe('healthy');
  expect(logLines(service, 'upstream recovered')).toHaveLength(1);

  // The next change is diffed against the last good state: one goal, no second MATCH_STARTED.
  standIn.livescore(good(firstGoal, thirdGoal));
  await client.next((m) => m.type === 'SCORE_UPDATE' && m['match_id'] === MATCH_ID);
  await roundTrip(client);
  expect(eventsOfMatch(client)).toMatchObject([
    { type: 'MATCH_STARTED' },
    { type: 'GOAL_SCORED', scorer: 'C. Winner', minute: '41', score: '2-0' },
    { type: 'SCORE_UPDATE', score: '2-0' },
  ]);

  // The key went to the provider, and nowhere else.
  expect(standIn.requests.every((r) => r.query.get('APIkey') === API_KEY)).toBe(true);
  const log = service.logs.join('\n');
  expect(log).not.toContain(API_KEY);
  // Not even scrubbed on the way out: the key never reached the logger (the scrubber writes [REDACTED]).
  expect(log).not.toContain('[REDACTED]');
  for (const failure of failures) {
    if (!failure.ok) expect(`${failure.error.message} ${JSON.stringify(failure.error.details)}`).not.toContain(API_KEY);
  }
  expect(JSON.stringify(await health(service))).not.toContain(API_KEY);
  return { failures, requestsPerPoll };
}

describe('upstream faults', () => {
  it('HTTP 500: each poll retries 3 times after the first attempt, logs the retries, emits nothing', async () => {
    const h = await start();
    const run = await runFault(h, { status: 500, body: changedText }, 4);
    expect(kindOf(run.failures[0])).toBe('http_5xx');
    expect(run.requestsPerPoll).toEqual([4, 4, 4]);
    const retries = logLines(h.service, 'retrying upstream request');
    expect(retries.length).toBeGreaterThanOrEqual(3 * 4);
    expect(retries.every((line) => line['kind'] === 'http_5xx')).toBe(true);
    // Backoff doubles from the base delay (0.01 s in tests): 10, 20, 40 ms.
    expect(retries.slice(0, 3).map((line) => line['delay_ms'])).toEqual([10, 20, 40]);
  });

  it('timeout: a reply slower than UPSTREAM_TIMEOUT_SECS fails as a timeout and is retried', async () => {
    const h = await start({ UPSTREAM_TIMEOUT_SECS: '0.2' });
    const run = await runFault(h, { delayMs: 1_000, body: changedText }, 2);
    expect(kindOf(run.failures[0])).toBe('timeout');
    expect(run.requestsPerPoll).toEqual([4]);
    const retries = logLines(h.service, 'retrying upstream request');
    expect(retries.length).toBeGreaterThanOrEqual(3 * 2);
    expect(retries.every((line) => line['kind'] === 'timeout')).toBe(true);
  });

  it('error body with HTTP 200: not retried, the provider message logged once however many polls fail', async () => {
    const h = await start();
    const body = { error: '1', result: [{ param: null, msg: 'Wrong login credentials', cod: 1004 }] };
    const run = await runFault(h, { body }, 5);
    expect(kindOf(run.failures[0])).toBe('auth');
    expect(messageOf(run.failures[0])).toContain('Wrong login credentials');
    expect(run.requestsPerPoll).toEqual([1, 1, 1, 1]);
    expect(logLines(h.service, 'retrying upstream request')).toEqual([]);
    const warnings = logLines(h.service).filter((line) => (line['level'] as number) >= 40 && JSON.stringify(line).includes('Wrong login credentials'));
    expect(warnings).toHaveLength(1);
  });

  it('truncated JSON: rejected as bad JSON, nothing emitted', async () => {
    const h = await start();
    const run = await runFault(h, { body: changedText, truncateAt: Math.floor(changedText.length * 0.6) }, 3);
    expect(kindOf(run.failures[0])).toBe('bad_json');
    expect(run.requestsPerPoll).toEqual([1, 1]);
  });

  it('a body that is not JSON: rejected as bad JSON, nothing emitted', async () => {
    const h = await start();
    const run = await runFault(h, { body: '<html><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'content-type': 'text/html' } }, 3);
    expect(kindOf(run.failures[0])).toBe('bad_json');
    expect(run.requestsPerPoll).toEqual([1, 1]);
  });

  it('an item without event_key: the whole reply is rejected with the path of the field, nothing emitted', async () => {
    const h = await start();
    const keyless = wireMatch({ key: 8008, status: '5' });
    delete keyless['event_key'];
    const run = await runFault(h, { body: wireEnvelope(liveMatch(firstGoal, secondGoal), keyless) }, 3);
    expect(kindOf(run.failures[0])).toBe('bad_format');
    expect(messageOf(run.failures[0])).toContain('result[1].event_key');
    expect(run.requestsPerPoll).toEqual([1, 1]);
  });
});
