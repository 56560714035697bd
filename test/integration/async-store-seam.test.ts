/**
 * The seam between replay and live delivery must hold for any EventStore, not only for SQLite
 * (which answers synchronously). This store answers reads from the state at the moment of the read
 * but resolves a few milliseconds later, as a networked store (Redis) would: events committed and
 * published in between must still reach a resuming client exactly once. A client that joins at the
 * newest event (or resumes from it) reads no history at all and still misses nothing.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import type { Commit, EventQuery, EventStore } from '../../src/store/types.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { eventsOf, reach, seqOf, subscribe, TestClient } from '../helpers/ws-client.js';

/** SQLite underneath; every read is answered late, from a snapshot taken when it was asked. */
class LaggingStore implements EventStore {
  constructor(
    private readonly inner: SqliteEventStore,
    private readonly lagMs: number,
  ) {}
  bounds() {
    return this.inner.bounds();
  }
  commit(commit: Commit) {
    return this.inner.commit(commit);
  }
  /** History reads asked of this store. */
  reads = 0;
  async readAfter(query: EventQuery) {
    this.reads += 1;
    const snapshot = await this.inner.readAfter(query);
    await delay(this.lagMs);
    return snapshot;
  }
  loadStates() {
    return this.inner.loadStates();
  }
  loadBook() {
    return this.inner.loadBook();
  }
  claimWriter(fence: string) {
    return this.inner.claimWriter(fence);
  }
  getMeta(key: string) {
    return this.inner.getMeta(key);
  }
  setMeta(key: string, value: string) {
    return this.inner.setMeta(key, value);
  }
  prune(before: Date) {
    return this.inner.prune(before);
  }
  close() {
    return this.inner.close();
  }
}

let standIn: StandIn | undefined;
let service: TestService | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await service?.stop();
  await standIn?.close();
});

/**
 * The service on a lagging store, following one match that gets a new card on every poll (events keep
 * flowing while clients replay), and a reference client subscribed live that has seen the first card.
 */
async function startFlowingMatch(key: number) {
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn).add({ key, status: '10' });
  let minute = 10;
  feed.onPoll = () => {
    minute += 1;
    feed.card(key, minute % 2 === 0 ? 'home' : 'away', String(minute), `Player ${minute}`);
  };
  const store = new LaggingStore(new SqliteEventStore({ dataDir: tempDataDir() }), 20);
  const started = await startService(standInEnv(standIn, { POLL_INTERVAL_SECS: '0.005', POLL_INTERVAL_IDLE_SECS: '0.005' }), { store });
  service = started;
  const reference = await TestClient.open(started.wsUrl);
  clients.push(reference);
  const { epoch } = await subscribe(reference, { action: 'subscribe_all' });
  await reference.nextOfType('CARD_ISSUED');
  return { service: started, store, reference, epoch };
}

it('a resuming client misses nothing that was published while its last replay page was in flight', async () => {
  const { service, reference, epoch } = await startFlowingMatch(501);

  // Several resumes from the start, each replaying while new events keep being published.
  const resumed: TestClient[] = [];
  for (let i = 0; i < 5; i += 1) {
    const client = await TestClient.open(service.wsUrl);
    clients.push(client);
    const subscribed = await subscribe(client, { action: 'subscribe_all', since: 0, epoch });
    expect(subscribed['resumed']).toBe(true);
    resumed.push(client);
    await reference.nextOfType('CARD_ISSUED');
  }
  // Let every client see at least a few more live events, then compare streams up to a common seq.
  const target = (await service.app.store.bounds()).latestSeq + 5;
  for (const client of [reference, ...resumed]) await reach(client, target);
  const upTo = (client: TestClient) => eventsOf(client).map(seqOf).filter((seq) => seq <= target);
  const expected = Array.from({ length: target }, (_, i) => i + 1);
  for (const client of resumed) expect(upTo(client)).toEqual(expected);
  // The reference joined live: a contiguous run to the target with no gap.
  const live = upTo(reference);
  expect(live).toEqual(Array.from({ length: live.length }, (_, i) => (live[0] as number) + i));
});

it('a client joining at the newest event reads no history, and gets every event after it, in order, with no gap', async () => {
  const { service, store, reference, epoch } = await startFlowingMatch(502);

  // New subscribers, and resumes from the newest seq, while events keep being committed.
  const readsBefore = store.reads;
  const joined: Array<{ client: TestClient; from: number }> = [];
  for (let i = 0; i < 6; i += 1) {
    const client = await TestClient.open(service.wsUrl);
    clients.push(client);
    const latest = (await service.app.store.bounds()).latestSeq;
    const subscribed = await subscribe(client, i % 2 === 0 ? { action: 'subscribe_all' } : { action: 'subscribe_all', since: latest, epoch });
    if (i % 2 === 1) expect(subscribed['resumed']).toBe(true);
    joined.push({ client, from: i % 2 === 0 ? (subscribed['seq'] as number) : latest });
    await reference.nextOfType('CARD_ISSUED');
  }
  const target = (await service.app.store.bounds()).latestSeq + 5;
  for (const { client } of joined) await reach(client, target);
  // Nothing was read for them: what they got came live, or from their backlog.
  expect(store.reads - readsBefore).toBe(0);
  for (const { client, from } of joined) {
    const seqs = eventsOf(client).map(seqOf).filter((seq) => seq <= target);
    expect(seqs).toEqual(Array.from({ length: target - from }, (_, i) => from + 1 + i));
  }
});
