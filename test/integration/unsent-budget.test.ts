/**
 * The instance-wide budget for unsent bytes (SLOW_CONSUMER_TOTAL_MAX_BYTES): clients that stop
 * reading each stay under SLOW_CONSUMER_MAX_BYTES, but together they may not pass the budget;
 * beyond it the largest backlogs are closed first (4008) and the others keep their connection.
 * Real sockets whose readers are paused, so the kernel buffers fill and backlogs build in the server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events.js';
import { CloseCode } from '../../src/domain/protocol.js';
import type { Client } from '../../src/hub/hub.js';
import { StandInRig } from '../helpers/service.js';
import { subscribe, type TestClient } from '../helpers/ws-client.js';

const PAD = 'x'.repeat(900);
let seq = 0;
function batch(size: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (let i = 0; i < size; i += 1) {
    seq += 1;
    const json = JSON.stringify({ type: 'SCORE_UPDATE', match_id: '9001', padding: PAD, seq });
    events.push({ seq, eventId: `e${seq}`, type: 'SCORE_UPDATE', matchId: '9001', leagueId: '1', homeTeamKey: '1', awayTeamKey: '2', timestamp: new Date().toISOString(), json });
  }
  return events;
}
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (client: TestClient) => (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
const resume = (client: TestClient) => (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();

describe('instance-wide unsent-bytes budget', () => {
  const rig = new StandInRig({ POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5' });
  afterEach(() => rig.stop());

  it('closes the largest backlogs first (4008) once all clients together pass SLOW_CONSUMER_TOTAL_MAX_BYTES', async () => {
    const budget = 256 * 1024;
    const service = await rig.start({ SLOW_CONSUMER_MAX_BYTES: String(4 * 1024 * 1024), SLOW_CONSUMER_TOTAL_MAX_BYTES: String(budget) });
    const { hub } = service.app;
    const clients: TestClient[] = [];
    const onServer: Client[] = [];
    for (let i = 0; i < 3; i += 1) {
      const client = await rig.open(service.wsUrl);
      await subscribe(client, { action: 'subscribe_all' });
      clients.push(client);
      onServer.push([...hub.all()].at(-1) as Client);
    }
    const [first, second, reader] = clients as [TestClient, TestClient, TestClient];
    const [firstOnServer, secondOnServer, readerOnServer] = onServer as [Client, Client, Client];

    // The first stops reading, and builds a backlog of its own (under the per-client cap)...
    pause(first);
    while (firstOnServer.connection.bufferedAmount < budget / 2 && seq < 60_000) {
      hub.publish(batch(16));
      await turn();
    }
    expect(firstOnServer.closed).toBe(false);
    // ...then the second stops too, and both grow until together they pass the budget.
    pause(second);
    let largestTotal = 0;
    while (!firstOnServer.closed && seq < 120_000) {
      hub.publish(batch(16));
      largestTotal = Math.max(largestTotal, firstOnServer.connection.bufferedAmount + secondOnServer.connection.bufferedAmount);
      await turn();
    }
    expect(firstOnServer.closed).toBe(true);
    expect(secondOnServer.closed).toBe(false);
    expect(readerOnServer.closed).toBe(false);
    // The check runs after each publish: the total never passed the budget by more than one batch per client.
    expect(largestTotal).toBeLessThanOrEqual(budget + 2 * 16 * 1024);
    const closes = await service.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'slow_consumer')?.value).toBe(1);

    resume(first);
    expect((await first.closed).code).toBe(CloseCode.SlowConsumer);
    resume(second);
    const last = seq;
    await second.next((m) => m['seq'] === last, 15_000);
    await reader.next((m) => m['seq'] === last, 15_000);
    expect(reader.all((m) => m.type === 'SCORE_UPDATE').map((m) => m['seq'])).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  });
});
