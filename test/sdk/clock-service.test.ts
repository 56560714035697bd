/**
 * The match clock through the real service (issue 18 §3): a stand-in provider in AllSportsAPI's
 * wire format walks a match through extra time; the SDK's `clockMinute` must read what a fan
 * expects (106' after 105, never "105+N" for the second half of extra time), the reported break
 * between the halves stops the clock, and `/matches` restarts it from 105.
 */
import { FeedClient, clockMinute, type MatchView, type WireEvent } from '@football-streaming-core/client';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope } from '../helpers/stand-in.js';
import { StandInRig } from '../helpers/service.js';
import { settle, until } from '../helpers/waits.js';
import { wireMatch } from '../helpers/wire.js';

const rig = new StandInRig();
const feeds: FeedClient[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) feed.close();
  await rig.stop();
});

async function matchOf(baseUrl: string, id: string): Promise<MatchView | undefined> {
  const body = (await (await fetch(`${baseUrl}/matches`)).json()) as { matches: MatchView[] };
  return body.matches.find((m) => m.match_id === id);
}

describe('the match clock in extra time, through the service and the SDK', () => {
  it('stops for a reported break between the halves, restarts from 105, and reads 107 at 107', async () => {
    const status = { value: '95' };
    const reply = () => ({ body: envelope([wireMatch({ key: 1001, status: status.value })]) });
    const service = await rig.start();
    rig.standIn.livescore(reply);
    await settle(service);

    const feed = new FeedClient({ url: service.wsUrl, WebSocket });
    feeds.push(feed);
    const events: WireEvent[] = [];
    feed.on('event', (event) => events.push(event));
    await feed.connect();
    expect(feed.matches.get('1001')?.phase).toBe('extra_time');
    expect(feed.matches.get('1001')?.clock?.base_minute).toBe(90);
    expect(clockMinute(feed.matches.get('1001')?.clock)).toBe('95');

    status.value = 'Break Time';
    await until(() => events.some((e) => e.type === 'STATUS_CHANGED' && e.phase === 'extra_time_break'), 'the break to be announced', 10_000);
    expect(feed.matches.get('1001')?.clock).toBeNull();
    expect(clockMinute(feed.matches.get('1001')?.clock)).toBeUndefined();

    status.value = '107';
    await until(() => events.some((e) => e.type === 'STATUS_CHANGED' && e.phase === 'extra_time' && e.previous_phase === 'extra_time_break'), 'the second half of extra time', 10_000);
    const clock = feed.matches.get('1001')?.clock;
    expect(clock?.base_minute).toBe(105);
    // Stamped as the 107th minute a moment ago: it reads 107 (or 108 on a very slow machine), never 105+N.
    expect(['107', '108']).toContain(clockMinute(clock));
    expect((await matchOf(service.url, '1001'))?.clock?.base_minute).toBe(105);
  });

  it('without a reported break: /matches restarts the clock from 105 once the provider shows 107, and refresh() brings it to the SDK', async () => {
    const status = { value: '104' };
    const service = await rig.start();
    rig.standIn.livescore(() => ({ body: envelope([wireMatch({ key: 1002, status: status.value })]) }));
    await settle(service);
    const feed = new FeedClient({ url: service.wsUrl, WebSocket });
    feeds.push(feed);
    await feed.connect();
    expect(feed.matches.get('1002')?.clock?.base_minute).toBe(90);

    status.value = '105+';
    await settle(service);
    expect((await matchOf(service.url, '1002'))?.clock?.base_minute).toBe(90);

    status.value = '107';
    await settle(service);
    const restarted = await matchOf(service.url, '1002');
    expect(restarted?.clock?.base_minute).toBe(105);
    expect(['107', '108']).toContain(clockMinute(restarted?.clock));

    expect(feed.refresh()).toBe(true);
    await until(() => feed.matches.get('1002')?.clock?.base_minute === 105, 'the refreshed clock', 10_000);
    // The clock the SDK folded from 90 ran on as 91…120: it never read 105+N in the meantime.
    expect(clockMinute(feed.matches.get('1002')?.clock)).not.toMatch(/^105\+/);
  });
});
