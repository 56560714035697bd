/**
 * A poll stuck on a provider that never answers must not hold a shutdown past
 * SHUTDOWN_TIMEOUT_SECS: the poll is aborted (its result dropped), clients still get 1001, the
 * process exits 0, and the store is intact. (`npm test` builds dist/ first.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CloseCode } from '../../src/domain/protocol.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { startServiceProcess, type ListeningService } from '../helpers/process.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { TestClient } from '../helpers/ws-client.js';
import { wireEnvelope, wireMatch } from '../helpers/wire.js';

let standIn: StandIn | undefined;
let service: ListeningService | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await standIn?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it('aborts a hung poll and still exits 0 with clients closed 1001', async () => {
  standIn = await startStandIn();
  dataDir = mkdtempSync(join(tmpdir(), 'fsc-hung-'));
  let hang = false;
  standIn.livescore(() => (hang ? { delayMs: 60_000, body: wireEnvelope() } : { body: wireEnvelope(wireMatch({ key: 9001, status: '30' })) }));
  service = await startServiceProcess({
    ALLSPORTS_API_KEY: 'k',
    ALLSPORTS_BASE_URL: standIn.baseUrl,
    DATA_DIR: dataDir,
    POLL_INTERVAL_SECS: '0.05',
    SHUTDOWN_TIMEOUT_SECS: '5',
    UPSTREAM_TIMEOUT_SECS: '120',
  });
  const client = await TestClient.open(service.wsUrl);
  client.send({ action: 'subscribe_all', since: 0, epoch: 'unknown' });
  await client.nextOfType('SUBSCRIBED');
  await client.next((m) => m.type === 'MATCH_STARTED' || (m.type === 'SNAPSHOT' && Array.isArray(m['matches']) && m['matches'].length > 0));
  hang = true;
  const polls = standIn.count('Livescore');
  await standIn.waitForRequests('Livescore', polls + 1);
  // The latest request now hangs for a minute; shut down while it is in flight.
  service.child.kill('SIGTERM');
  const [exit, closed] = await Promise.all([service.exited, client.closed]);
  expect(exit.code).toBe(0);
  expect(closed.code).toBe(CloseCode.GoingAway);
  expect(service.output()).toContain('aborting it');
  const store = new SqliteEventStore({ dataDir });
  try {
    const events = await store.readAfter({ since: 0, limit: 100 });
    expect(events !== 'too-old' && events.map((e) => e.type)).toEqual(['MATCH_STARTED']);
  } finally {
    await store.close();
  }
});
