import { afterEach, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../helpers/service.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { TestClient } from '../helpers/ws-client.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';

describe('smoke', () => {
  let service: TestService | undefined;
  let standIn: StandIn | undefined;
  afterEach(async () => {
    await service?.stop();
    await standIn?.close();
  });

  it('announces a goal from the stand-in provider', async () => {
    standIn = await startStandIn();
    service = await startService({ ALLSPORTS_API_KEY: 'k', ALLSPORTS_BASE_URL: standIn.baseUrl, POLL_INTERVAL_SECS: '0.05', POLL_INTERVAL_IDLE_SECS: '0.05' });
    const client = await TestClient.open(service.wsUrl);
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    standIn.livescore({ body: wireEnvelope(wireMatch({ status: '10' })) });
    const started = await client.nextOfType('MATCH_STARTED');
    expect(started['match_id']).toBe('1001');
    standIn.livescore({ body: wireEnvelope(wireMatch({ status: '12', goals: [wireGoal('home', '11', 'A. Striker', '1 - 0')] })) });
    const goal = await client.nextOfType('GOAL_SCORED');
    expect(goal).toMatchObject({ scorer: 'A. Striker', team: 'home', score: '1-0', minute: '11' });
    const update = await client.nextOfType('SCORE_UPDATE');
    expect(update['score']).toBe('1-0');
    await client.close();
  });
});
