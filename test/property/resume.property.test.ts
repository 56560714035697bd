/**
 * Property: whatever the moments a client drops (cleanly or abruptly) and resumes with since/epoch,
 * the union of what it received over all its connections is exactly the stream of a client that
 * never disconnected — no duplicate, no gap, same order.
 *
 * fast-check generates a matchday (goals, cards, substitutions, phase changes in three matches,
 * several per step) and the resuming client's disconnect/reconnect points; the real service polls
 * a stand-in provider that plays the generated matchday, over real HTTP and WebSockets. One service
 * serves every run; each run uses new match ids and compares only the seqs after its own start.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { isEvent, TestClient, type Message } from '../helpers/ws-client.js';

const MATCHES_PER_RUN = 3;
/** Provider statuses a match passes through, one phase change per `advance`. */
const PHASES: readonly string[] = ['10', 'Half Time', '50', 'Finished'];

type Side = 'home' | 'away';
type Change =
  | { readonly kind: 'goal'; readonly match: number; readonly side: Side }
  | { readonly kind: 'card'; readonly match: number; readonly side: Side; readonly red: boolean }
  | { readonly kind: 'sub'; readonly match: number; readonly side: Side }
  | { readonly kind: 'advance'; readonly match: number };

interface Step {
  readonly changes: readonly Change[];
  /** Polls to wait for after the changes (0: move on while the poll may still be running). */
  readonly polls: number;
  /** What the resuming client does after this step. */
  readonly client: 'stay' | 'toggle' | 'toggle-abruptly';
}

const match = fc.integer({ min: 0, max: MATCHES_PER_RUN - 1 });
const side = fc.constantFrom<Side>('home', 'away');
const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('goal' as const), match, side }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('card' as const), match, side, red: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sub' as const), match, side }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), match }) },
);
const step: fc.Arbitrary<Step> = fc.record({
  changes: fc.array(change, { maxLength: 5 }),
  polls: fc.integer({ min: 0, max: 2 }),
  client: fc.constantFrom<Step['client']>('stay', 'toggle', 'toggle', 'toggle-abruptly'),
});
const matchday = fc.array(step, { minLength: 3, maxLength: 9 });

let standIn: StandIn;
let feed: LiveFeed;
let service: TestService;
let run = 0;

beforeAll(async () => {
  standIn = await startStandIn();
  feed = new LiveFeed(standIn);
  service = await startService({
    ALLSPORTS_API_KEY: 'k',
    ALLSPORTS_BASE_URL: standIn.baseUrl,
    POLL_INTERVAL_SECS: '0.02',
    POLL_INTERVAL_IDLE_SECS: '0.02',
  });
});

afterAll(async () => {
  await service.stop();
  await standIn.close();
});

const eventsOf = (client: TestClient): Message[] => client.received.filter(isEvent);
const seqOf = (m: Message): number => m['seq'] as number;

async function polls(n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) await service.app.poller.nextPoll();
}

async function reach(client: TestClient, target: number): Promise<void> {
  if (eventsOf(client).some((m) => seqOf(m) >= target)) return;
  await client.next((m) => isEvent(m) && seqOf(m) >= target, 10_000);
}

async function subscribe(since: number, epoch: string): Promise<TestClient> {
  const client = await TestClient.open(service.wsUrl);
  client.send({ action: 'subscribe_all', since, epoch });
  const subscribed = await client.nextOfType('SUBSCRIBED');
  // History is never pruned here: every resume must be served.
  expect(subscribed).toMatchObject({ resumed: true, epoch });
  return client;
}

/** Plays one generated matchday and checks the property; returns nothing, throws on a violation. */
async function playAndCompare(steps: readonly Step[]): Promise<void> {
  run += 1;
  const keys = Array.from({ length: MATCHES_PER_RUN }, (_, i) => 10_000 + run * 10 + i);
  const minute = keys.map(() => 0);
  const phase = keys.map(() => 0);
  let incident = 0;

  const start = await service.app.store.bounds();
  const reference = await subscribe(start.latestSeq, start.epoch);
  const connections: TestClient[] = [await subscribe(start.latestSeq, start.epoch)];
  let connected = true;
  const lastSeen = () => Math.max(start.latestSeq, ...connections.flatMap(eventsOf).map(seqOf));

  try {
    for (const [i, key] of keys.entries()) feed.add({ key, status: '10', leagueKey: 100 + i });
    for (const { changes, polls: wait, client } of steps) {
      for (const c of changes) {
        const key = keys[c.match] as number;
        incident += 1;
        // One incident per minute per match keeps every incident distinct to the detector.
        const at = String(Math.min(89, (minute[c.match] = (minute[c.match] as number) + 1)));
        if (c.kind === 'goal') feed.goal(key, c.side, at, `Scorer ${run}-${incident}`);
        if (c.kind === 'card') feed.card(key, c.side, at, `Player ${run}-${incident}`, c.red ? 'red card' : 'yellow card');
        if (c.kind === 'sub') feed.sub(key, c.side, at, `In ${run}-${incident}`, `Out ${run}-${incident}`);
        if (c.kind === 'advance' && (phase[c.match] as number) < PHASES.length - 1) {
          phase[c.match] = (phase[c.match] as number) + 1;
          feed.status(key, PHASES[phase[c.match] as number] as string);
        }
      }
      await polls(wait);
      if (client === 'stay') continue;
      if (connected) {
        const current = connections.at(-1) as TestClient;
        if (client === 'toggle-abruptly') {
          current.ws.terminate();
          await current.closed;
        } else {
          await current.close();
        }
        connected = false;
      } else {
        connections.push(await subscribe(lastSeen(), start.epoch));
        connected = true;
      }
    }
    if (!connected) connections.push(await subscribe(lastSeen(), start.epoch));
    await polls(2);
    const latest = (await service.app.store.bounds()).latestSeq;
    await reach(reference, latest);
    // The last connection may have nothing new to receive: the earlier ones already had it all.
    if (lastSeen() < latest) await reach(connections.at(-1) as TestClient, latest);

    const union = connections.flatMap(eventsOf);
    // First: nothing was delivered twice across the connections.
    const seqs = union.map(seqOf);
    expect(new Set(seqs).size, `duplicates in ${JSON.stringify(seqs)}`).toBe(seqs.length);
    // Then: the union is exactly the never-disconnected stream, in order.
    const full = eventsOf(reference);
    expect(full.map(seqOf)).toEqual(Array.from({ length: latest - start.latestSeq }, (_, i) => start.latestSeq + 1 + i));
    expect(union.map((m) => m['event_id'])).toEqual(full.map((m) => m['event_id']));
    expect(union).toEqual(full);
  } finally {
    for (const client of [reference, ...connections]) await client.close();
  }
}

describe('resume property', () => {
  it('for random disconnect/reconnect points, the union of a resuming client’s streams equals the full stream', async () => {
    await fc.assert(fc.asyncProperty(matchday, playAndCompare), {
      numRuns: 20,
      // Each run plays a live service for about a second: report the failing matchday, do not shrink for minutes.
      endOnFailure: true,
    });
    expect(run).toBe(20);
  }, 60_000);
});
