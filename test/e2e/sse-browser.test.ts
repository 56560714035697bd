/**
 * `/events/stream` through a real `EventSource` in Chromium (playwright-core): the page subscribes,
 * the connection drops mid-matchday (the server destroys it, as a network failure would), the
 * browser reconnects by itself and sends `Last-Event-ID`, and the events it received in total equal
 * a full replay — no gap, no duplicate — although its URL still asks for `since=0`. Run for both
 * providers (issue 21: one suite, two providers), each behind its own stand-in.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, type FeedStandIn } from '../helpers/providers.js';
import { startService, type TestService } from '../helpers/service.js';
import { settle, until } from '../helpers/waits.js';
import { eventsOf, reach, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'];
const A = { key: 7001, leagueKey: 152, league: 'Premier League', homeKey: 71, awayKey: 72 };
const B = { key: 7002, leagueKey: 207, league: 'Serie A', homeKey: 73, awayKey: 74 };

interface Received {
  type: string;
  id: string;
  data: Message;
}

/** The page's globals used here (the test is compiled without the DOM library). */
interface PageGlobals {
  received: Received[];
  opens: number;
  source: BrowserEventSource;
  EventSource: new (url: string) => BrowserEventSource;
}
interface BrowserEventSource {
  onopen: (() => void) | null;
  addEventListener(type: string, listener: (event: { data: string; lastEventId: string }) => void): void;
}

describe.each(PROVIDERS)('SSE in Chromium (EventSource), $name', (provider) => {
  let browser: Browser;
  let standIn: FeedStandIn;
  let service: TestService;
  let page: Page;
  let reference: TestClient;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    standIn = await provider.startFeed();
  });
  afterAll(async () => {
    await reference?.close();
    await browser?.close();
    await service?.stop();
    await standIn?.close();
  });

  /** What the page's EventSource has received so far. */
  const received = (): Promise<Received[]> => page.evaluate(() => (globalThis as unknown as PageGlobals).received);
  const opens = (): Promise<number> => page.evaluate(() => (globalThis as unknown as PageGlobals).opens);
  async function pageReach(seq: number): Promise<void> {
    await page.waitForFunction(
      (target) => (globalThis as unknown as PageGlobals).received.some((m) => typeof m.data['seq'] === 'number' && m.type !== 'SUBSCRIBED' && m.type !== 'SNAPSHOT' && (m.data['seq'] as number) >= target),
      seq,
      { timeout: 10_000 },
    );
  }

  it('reconnects with Last-Event-ID after a drop mid-matchday; the stream equals a full replay', async () => {
    const { feed } = standIn;
    for (const match of [A, B]) feed.add({ ...match, status: '10' });
    service = await startService(standIn.env);
    const { epoch } = await service.app.store.bounds();
    reference = await TestClient.open(service.wsUrl);
    await subscribe(reference, { action: 'subscribe_all', since: 0, epoch });

    page = await browser.newPage();
    await page.goto(`${service.url}/health`);
    const types = ['SUBSCRIBED', 'SNAPSHOT', 'MATCH_STARTED', 'GOAL_SCORED', 'SCORE_UPDATE', 'CARD_ISSUED', 'STATUS_CHANGED'];
    await page.evaluate(
      ({ query, types }) => {
        const w = globalThis as unknown as PageGlobals;
        w.received = [];
        w.opens = 0;
        w.source = new w.EventSource(`/events/stream${query}`);
        w.source.onopen = () => {
          w.opens += 1;
        };
        for (const type of types) {
          w.source.addEventListener(type, (event) => {
            w.received.push({ type, id: event.lastEventId, data: JSON.parse(event.data) as Message });
          });
        }
      },
      { query: `?since=0&epoch=${epoch}`, types },
    );
    const subscribed = await page.waitForFunction(() => (globalThis as unknown as PageGlobals).received.find((m) => m.type === 'SUBSCRIBED'), null, { timeout: 10_000 });
    expect(await subscribed.jsonValue()).toMatchObject({ data: { type: 'SUBSCRIBED', resumed: true, epoch } });

    feed.goal(A.key, 'home', '12', 'A. First').card(B.key, 'away', '14', 'B. Booked');
    const middle = await settle(service);
    await pageReach(middle);

    // The connection drops (as a network failure would): the browser reconnects after `retry:`.
    for (const client of service.app.hub.all()) {
      // The reference WebSocket is the first client; the stream is the other one.
      if (client.id !== 1) client.connection.terminate();
    }
    feed.goal(B.key, 'home', '20', 'B. While Down').status(A.key, 'Half Time');
    const whileDown = await settle(service);
    expect(whileDown).toBeGreaterThan(middle);
    await until(() => service.app.hub.connectionCount === 2, 'the browser to reconnect', 15_000);
    // The server counts the stream before the browser fires `open`: wait for the page's side too.
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).opens >= 2, null, { timeout: 10_000 });
    expect(await opens()).toBe(2);
    feed.goal(A.key, 'away', '50', 'A. After');
    const end = await settle(service);
    await reach(reference, end);
    await pageReach(end);

    const all = await received();
    const subscribes = all.filter((m) => m.type === 'SUBSCRIBED');
    expect(subscribes.map((m) => m.data['resumed'])).toEqual([true, true]);
    expect(all.some((m) => m.type === 'SNAPSHOT')).toBe(false);
    const events = all.filter((m) => m.type !== 'SUBSCRIBED');
    expect(events.map((m) => m.data)).toEqual(eventsOf(reference));
    for (const event of events) expect(event.id).toBe(`${epoch}/${String(event.data['seq'])}`);
  });
});
