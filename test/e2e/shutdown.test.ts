/**
 * Graceful shutdown of the built service (`node dist/main.js`): SIGTERM while clients are connected
 * and a poll is in flight finishes that poll (its events are stored and delivered), closes clients
 * with 1001 and a reason, and exits 0; the store is consistent on restart. A second signal during
 * a slow shutdown exits at once with a non-zero code, leaving a consistent store.
 * (`npm test` builds dist/ first.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/domain/protocol.js';
import { DATABASE_FILE, SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { killAll, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { standInEnv, startStandIn, type CannedReply, type StandIn } from '../helpers/stand-in.js';
import { subscribe, TestClient } from '../helpers/ws-client.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';

const MATCH_ID = '7001';
const started = wireEnvelope(wireMatch({ key: Number(MATCH_ID), status: '20' }));
const withGoal = wireEnvelope(
  wireMatch({ key: Number(MATCH_ID), status: '24', goals: [wireGoal('home', '23', 'A. Striker', '1 - 0', { id: '501' })] }),
);

/** Rejects if `promise` has not settled within `ms` (a deadline for the test, not a measurement). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Reads the whole store as a restarted service would. */
async function readStore(dataDir: string) {
  const store = new SqliteEventStore({ dataDir });
  try {
    const bounds = await store.bounds();
    const events = await store.readAfter({ since: 0, limit: 10_000 });
    const states = await store.loadStates();
    if (events === 'too-old') throw new Error('history unexpectedly pruned');
    return { bounds, events, states };
  } finally {
    await store.close();
  }
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe('graceful shutdown', () => {
  const processes: ListeningService[] = [];
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

  async function start(dataDir: string, env: Record<string, string> = {}): Promise<ListeningService> {
    const service = await startServiceProcess(standInEnv(standIn as StandIn, { DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }));
    processes.push(service);
    return service;
  }

  async function subscriber(service: ListeningService, message: Record<string, unknown>): Promise<TestClient> {
    const client = await TestClient.open(service.wsUrl);
    clients.push(client);
    await subscribe(client, message);
    return client;
  }

  it('on SIGTERM finishes the poll in flight, delivers and stores its events, closes clients with 1001 and exits 0', async () => {
    standIn = await startStandIn();
    let slowReplyRequested: () => void = () => undefined;
    const slowReplyArrived = new Promise<void>((resolve) => {
      slowReplyRequested = resolve;
    });
    let phase: 'empty' | 'started' | 'slow' = 'empty';
    standIn.livescore((): CannedReply => {
      if (phase === 'empty') return { body: wireEnvelope() };
      if (phase === 'started') return { body: started };
      slowReplyRequested();
      return { body: withGoal, delayMs: 1_000 };
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'fsc-shutdown-'));
    dirs.push(dataDir);
    const service = await start(dataDir);
    const all = await subscriber(service, { action: 'subscribe_all' });
    const one = await subscriber(service, { action: 'subscribe', match_ids: [MATCH_ID] });
    phase = 'started';
    await all.nextOfType('MATCH_STARTED');
    await one.nextOfType('MATCH_STARTED');

    // The next poll's reply takes a second; SIGTERM arrives while it is in flight.
    phase = 'slow';
    await slowReplyArrived;
    service.child.kill('SIGTERM');

    for (const client of [all, one]) {
      const goal = await client.nextOfType('GOAL_SCORED', 10_000);
      expect(goal).toMatchObject({ match_id: MATCH_ID, scorer: 'A. Striker', score: '1-0' });
      const closed = await client.closed;
      expect(closed.code).toBe(CloseCode.GoingAway);
      expect(closed.reason).toMatch(/reconnect/);
      // The goal came before the close: nothing of the finished poll was lost.
      expect(client.all((m) => m.type === 'SCORE_UPDATE')).toHaveLength(1);
    }
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const output = service.output();
    expect(output).toContain('"msg":"stopped"');
    // The poll finished before the clients were closed.
    expect(output.indexOf('"type":"GOAL_SCORED"')).toBeGreaterThan(-1);
    expect(output.indexOf('"type":"GOAL_SCORED"')).toBeLessThan(output.indexOf('closing client connections with 1001'));

    // The store holds the whole history, consistently.
    expect(integrity(dataDir)).toBe('ok');
    const stored = await readStore(dataDir);
    expect(stored.events.map((e) => e.type)).toEqual(['MATCH_STARTED', 'GOAL_SCORED', 'SCORE_UPDATE']);
    expect(stored.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(stored.bounds.latestSeq).toBe(3);
    expect(stored.states).toHaveLength(1);
    expect(stored.states[0]).toMatchObject({ matchId: MATCH_ID, score: { home: 1, away: 0 } });

    // A restart on the same DATA_DIR serves that history and, seeing the same match again, adds nothing.
    standIn.livescore({ body: withGoal });
    const restarted = await start(dataDir);
    const seen = standIn.count('Livescore');
    await standIn.waitForRequests('Livescore', seen + 3);
    const body = (await (await fetch(`${restarted.url}/events?since=0`)).json()) as {
      epoch: string;
      events: Array<{ type: string; seq: number }>;
      latest_seq: number;
    };
    expect(body.epoch).toBe(stored.bounds.epoch);
    expect(body.events.map((e) => [e.seq, e.type])).toEqual(stored.events.map((e) => [e.seq, e.type]));
    expect(body.latest_seq).toBe(3);
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
  });

  it('exits at once (non-zero) on a second signal during a slow shutdown, leaving a consistent store', async () => {
    standIn = await startStandIn();
    let hangingRequested: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => {
      hangingRequested = resolve;
    });
    let phase: 'empty' | 'started' | 'hang' = 'empty';
    standIn.livescore((): CannedReply => {
      if (phase === 'empty') return { body: wireEnvelope() };
      if (phase === 'started') {
        phase = 'hang';
        return { body: started };
      }
      hangingRequested();
      // Far longer than this test may take: the shutdown can only end early through the second signal.
      return { body: withGoal, delayMs: 20_000 };
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'fsc-shutdown-'));
    dirs.push(dataDir);
    const service = await start(dataDir, { SHUTDOWN_TIMEOUT_SECS: '30', UPSTREAM_TIMEOUT_SECS: '60' });
    const client = await subscriber(service, { action: 'subscribe_all' });
    phase = 'started';
    await client.nextOfType('MATCH_STARTED');
    await hanging;

    service.child.kill('SIGTERM');
    await service.waitForLog((line) => line['msg'] === 'signal received: shutting down gracefully');
    service.child.kill('SIGINT');
    const exit = await within(service.exited, 10_000, 'exit after the second signal');
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(service.output()).toContain('second signal: exiting at once');
    expect(service.output()).not.toContain('"msg":"stopped"');

    expect(integrity(dataDir)).toBe('ok');
    const stored = await readStore(dataDir);
    expect(stored.events.map((e) => e.type)).toEqual(['MATCH_STARTED']);
    expect(stored.bounds.latestSeq).toBe(1);
    expect(stored.states).toEqual([expect.objectContaining({ matchId: MATCH_ID, started: true, ended: false })]);
  });
});
