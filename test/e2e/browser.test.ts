/**
 * The scoreboard (GET /, built on the SDK bundle served at /client.js) in a real Chromium, driven by
 * playwright-core, against the service running in-process on the built-in simulated matchday (fast:
 * SIM_SPEED 300). The page reaches the service through a TCP proxy, so the service can restart on a
 * new port behind the same address.
 *
 * Chromium is Debian's (/usr/bin/chromium, `apt-get install -y chromium`); nothing is downloaded.
 * The steps share one page and run in order: each builds on the state the previous one left.
 * Screenshots at desktop and phone width (and in dark mode) are saved under test-results/.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../src/domain/events.js';
import type { MatchView } from '../../src/domain/views.js';
import { ROOT } from '../helpers/process.js';
import { startService, type TestService } from '../helpers/service.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { TestClient, isEvent, subscribe, type Message } from '../helpers/ws-client.js';

const WAIT_MS = 15_000;
const SHOTS = join(ROOT, 'test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const ENV = { SIM_SPEED: '300', POLL_INTERVAL_SECS: '0.2' };

let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

/**
 * In the page (source text: the test has no DOM types): for each `{ eventId, names }`, the names in
 * the substitution line with that event id must each lie on one line (a Range over the name's text
 * has one line of boxes) and be shown whole. Returns what breaks that rule.
 */
const NAMES_BROKEN = String.raw`(list) => {
  const found = [];
  for (const { eventId, names } of list) {
    const item = document.querySelector('li[data-kind="sub"][data-event-id="' + CSS.escape(eventId) + '"]');
    if (item === null) { found.push(eventId + ': not shown'); continue; }
    const nodes = [];
    const starts = [];
    let text = '';
    const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      starts.push(text.length);
      nodes.push(node);
      text += node.textContent;
    }
    const locate = (offset) => {
      let i = nodes.length - 1;
      while (i > 0 && starts[i] > offset) i -= 1;
      return [nodes[i], offset - starts[i]];
    };
    for (const name of names) {
      const at = text.indexOf(name);
      if (name === '' || at < 0) { found.push(eventId + ': "' + name + '" not shown'); continue; }
      const [startNode, startOffset] = locate(at);
      const [endNode, endOffset] = locate(at + name.length - 1);
      const range = document.createRange();
      range.setStart(startNode, startOffset);
      range.setEnd(endNode, endOffset + 1);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size !== 1) found.push(eventId + ': "' + name + '" on ' + lines.size + ' lines');
      const holder = startNode.parentElement;
      if (holder.scrollWidth > holder.clientWidth + 1) found.push(eventId + ': "' + name + '" cut off');
    }
  }
  return found;
}`;

/** A new page that records console errors and uncaught exceptions into `errors`. */
async function openPage(errors: string[], viewport = { width: 1366, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error: Error) => errors.push(`pageerror: ${error.message}`));
  return page;
}

/**
 * The newest stored event that passes `predicate` (the page's log keeps the newest 500): already in
 * the history, or the next one to come (a live subscription opened before the history is read, so
 * none falls between the two).
 */
async function storedOrNext(service: TestService, predicate: (event: WireEvent) => boolean, timeoutMs = WAIT_MS * 4): Promise<WireEvent> {
  const client = await TestClient.open(service.wsUrl);
  try {
    await subscribe(client, { action: 'subscribe_all' });
    const past = (await history(service.url)).findLast(predicate);
    if (past !== undefined) return past;
    return (await client.next((m: Message) => isEvent(m) && predicate(m as unknown as WireEvent), timeoutMs)) as unknown as WireEvent;
  } finally {
    await client.close();
  }
}

/** The whole retained history, paged through GET /events. */
async function history(baseUrl: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${baseUrl}/events?since=${since}&limit=500`)).json()) as { events: WireEvent[]; next_since: number; has_more: boolean };
    events.push(...page.events);
    if (!page.has_more) return events;
    since = page.next_since;
  }
}

describe('scoreboard in Chromium', () => {
  let service: TestService;
  let proxy: TcpProxy;
  let page: Page;
  const pageErrors: string[] = [];

  const waitFor = (selector: string) => page.locator(selector).first().waitFor({ state: 'attached', timeout: WAIT_MS });
  /** `data-seq` of every log entry, as shown (newest first). */
  const logSeqs = () => page.locator('#event-log li').evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-seq'))));
  const logIds = () => page.locator('#event-log li').evaluateAll((items) => items.map((item) => String(item.getAttribute('data-event-id'))));
  /** Waits until the page has logged an event with a seq above `seq`. */
  const loggedBeyond = (seq: number, type = '') =>
    page.waitForFunction(`[...document.querySelectorAll('#event-log li${type ? `[data-type="${type}"]` : ''}')].some((li) => Number(li.getAttribute('data-seq')) > ${seq})`, undefined, { timeout: WAIT_MS * 2 });

  beforeAll(async () => {
    service = await startService(ENV, { keepData: true });
    proxy = await startTcpProxy(service.app.port);
    page = await openPage(pageErrors);
    await page.goto(`http://127.0.0.1:${proxy.port}/?reconnectBaseMs=50`);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
    await proxy?.close();
  });

  it('loads the SDK bundle from /client.js and connects', async () => {
    const bundle = await fetch(`${service.url}/client.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(await bundle.text()).toContain('FeedClient');
    await waitFor('#status[data-state="open"]');
    expect((await page.locator('#status').innerText()).trim()).toBe('live');
    expect(await page.locator('#socket-state').textContent()).toBe('connected');
  });

  it('shows the simulated matchday grouped by country and league, with goal scorers and minutes', async () => {
    await waitFor('#matches .match [data-kind="goal"]');
    const { matches } = (await (await fetch(`${service.url}/matches`)).json()) as { matches: MatchView[] };
    const scored = matches.flatMap((m) => m.goals.map((g) => ({ match: m, goal: g })));
    expect(scored.length).toBeGreaterThan(0);
    const { match, goal } = scored[0] as { match: MatchView; goal: MatchView['goals'][number] };
    const shown = page.locator(`.match[data-match-id="${match.match_id}"] li[data-event-id="${goal.event_id}"]`);
    await shown.waitFor({ timeout: WAIT_MS });
    expect(await shown.innerText()).toContain(`${goal.scorer} ${goal.minute}'`);
    // One group per league, headed "country · league", each holding its matches.
    const group = page.locator(`section.group[data-league-id="${match.league_id}"]`);
    expect(await group.locator('h3').innerText()).toMatch(new RegExp(`${match.league}`, 'i'));
    expect(await group.locator(`.match[data-match-id="${match.match_id}"]`).count()).toBe(1);
  });

  it('moves the minute of a running match between events', async () => {
    const minute = page.locator('.match[data-live="true"][data-phase$="_half"] [data-field="minute"]').first();
    await minute.waitFor({ timeout: WAIT_MS });
    const before = await minute.innerText();
    expect(before).toMatch(/^\d+(\+\d+)?'$/);
    const matchId = await minute.evaluate((el) => el.closest('.match')?.getAttribute('data-match-id'));
    await page.waitForFunction(`document.querySelector('.match[data-match-id="${matchId}"] [data-field="minute"]')?.textContent !== ${JSON.stringify(before)}`, undefined, { timeout: WAIT_MS });
  });

  it('highlights a goal and announces it through the aria-live region', async () => {
    const seq = Math.max(0, ...(await logSeqs()));
    await loggedBeyond(seq, 'GOAL_SCORED');
    await waitFor('.match[data-highlight="goal"]');
    expect(await page.locator('#announcer').getAttribute('aria-live')).toBe('polite');
    await page.locator('#announcer', { hasText: /Goal!|Goal cancelled/ }).waitFor({ state: 'attached', timeout: WAIT_MS });
  });

  it('shows the fan "live" and keeps seq, resume and the id boxes under a collapsed "connection" detail', async () => {
    expect((await page.locator('#status').innerText()).trim()).toBe('live');
    const header = page.locator('header');
    expect(await page.locator('#connection').getAttribute('open')).toBeNull();
    const shown = await header.innerText();
    expect(shown).not.toMatch(/\bseq\b|\bresume\b|fresh start|match ids|league ids/i);
    expect(await header.locator('input:visible, button:visible').count()).toBe(0);
    expect((await page.locator('#connection > summary').innerText()).trim()).toBe('connection');
    await page.locator('#connection > summary').click();
    expect(await page.locator('#seq').isVisible()).toBe(true);
    expect(await page.locator('#f-match').isVisible()).toBe(true);
    expect(await page.locator('#socket-state').innerText()).toBe('connected');
    await page.locator('#connection > summary').click();
    expect(await page.locator('#f-match').isVisible()).toBe(false);
  });

  it('heads a league with its country, or with its name alone when the provider\'s "country" is none', async () => {
    // The simulated day has an English league ("England") and a European cup ("eurocups").
    const started = (country: string) => storedOrNext(service, (e) => e.type === 'MATCH_STARTED' && e.country === country) as Promise<Extract<WireEvent, { type: 'MATCH_STARTED' }>>;
    const cup = await started('eurocups');
    const english = await started('England');
    for (const match of [cup, english]) await waitFor(`section.group[data-league-id="${match.league_id}"]`);
    expect(await page.locator(`section.group[data-league-id="${cup.league_id}"] h3`).textContent()).toBe(cup.league);
    expect(await page.locator(`section.group[data-league-id="${english.league_id}"] h3`).textContent()).toBe(`England · ${english.league}`);
    expect((await page.locator('#matches h3').allTextContents()).join('\n')).not.toMatch(/eurocups/i);
  });

  it('shows a card the provider named no one for as the card and its minute, and marks a coach\'s card', async () => {
    const nameless = (await storedOrNext(service, (e) => e.type === 'CARD_ISSUED' && e.player === '' && !e.coach)) as Extract<WireEvent, { type: 'CARD_ISSUED' }>;
    const coach = (await storedOrNext(service, (e) => e.type === 'CARD_ISSUED' && e.coach)) as Extract<WireEvent, { type: 'CARD_ISSUED' }>;
    for (const card of [nameless, coach]) await waitFor(`.match[data-match-id="${card.match_id}"] li[data-event-id="${card.event_id}"]`);

    const namelessItem = page.locator(`.match[data-match-id="${nameless.match_id}"] li[data-event-id="${nameless.event_id}"]`);
    expect((await namelessItem.innerText()).trim()).toBe(`${nameless.minute}'`);
    expect(await namelessItem.locator('.card[role="img"]').getAttribute('aria-label')).toBe(`${nameless.color} card`);

    const coachItem = page.locator(`.match[data-match-id="${coach.match_id}"] li[data-event-id="${coach.event_id}"]`);
    expect(await coachItem.getAttribute('data-coach')).toBe('true');
    expect((await coachItem.innerText()).trim()).toBe(`${coach.player} (coach) ${coach.minute}'`);
    expect(await coachItem.locator('.card[role="img"]').getAttribute('aria-label')).toBe(`${coach.second_yellow ? 'second yellow' : coach.color} card for the coach`);

    // The log says the same.
    const logged = (card: WireEvent) => page.locator(`#event-log li[data-event-id="${card.event_id}"]`);
    const namelessLog = await logged(nameless).innerText();
    expect(namelessLog).toContain(`${nameless.color}: ${nameless.minute}'`);
    expect(namelessLog).not.toMatch(/unknown/i);
    expect(await logged(coach).innerText()).toContain(`${coach.player} (coach) ${coach.minute}'`);
  });

  it('shows a final whistle once in the log', async () => {
    const end = await storedOrNext(service, (e) => e.type === 'MATCH_ENDED');
    await waitFor(`#event-log li[data-event-id="${end.event_id}"]`);
    const forMatch = (await page.evaluate(`[...document.querySelectorAll('#event-log li[data-match-id="${end.match_id}"]')]
      .map((item) => ({ type: item.getAttribute('data-type'), text: item.textContent, shown: item.checkVisibility() }))`)) as Array<{ type: string; text: string; shown: boolean }>;
    // The STATUS_CHANGED to the final phase is in the log (its seq counts), but not shown a second time.
    const whistles = forMatch.filter((item) => item.type === 'STATUS_CHANGED' && /Full time/.test(item.text));
    expect(whistles.map((item) => item.shown)).toEqual([false]);
    const shownFinals = forMatch.filter((item) => item.shown && /Full time/.test(item.text));
    expect(shownFinals.map((item) => item.type)).toEqual(['MATCH_ENDED']);
  });

  it('recovers from a service restart mid-match without duplicate or missing log entries', async () => {
    const seqBefore = Math.max(...(await logSeqs()));
    const dataDir = service.dataDir;
    await service.stop();
    await waitFor('#status[data-state="reconnecting"]');
    // The fan sees "reconnecting…"; the countdown is under "connection".
    expect((await page.locator('#status').innerText()).trim()).toBe('reconnecting…');
    expect(await page.locator('#socket-state').textContent()).toMatch(/reconnecting in \d+ s/);
    service = await startService(ENV, { dataDir, keepData: true });
    proxy.setTarget(service.app.port);

    await waitFor('#status[data-state="open"]');
    await waitFor('#resume[data-resumed="true"]');
    await loggedBeyond(seqBefore);
    const seqs = await logSeqs();
    const ids = await logIds();
    expect(new Set(seqs).size, 'duplicate seq in the log').toBe(seqs.length);
    expect(new Set(ids).size, 'duplicate event_id in the log').toBe(ids.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    // No gap either: exactly the stored history between the first and last logged events.
    const shown = [...seqs].reverse();
    const stored = (await history(service.url)).filter((e) => e.seq >= (shown[0] ?? 0) && e.seq <= (shown.at(-1) ?? 0));
    expect(shown).toEqual(stored.map((e) => e.seq));
    expect([...ids].reverse()).toEqual(stored.map((e) => e.event_id));
    expect(Number(await page.locator('#seq').getAttribute('data-seq'))).toBeGreaterThanOrEqual(shown.at(-1) ?? 0);
  });

  it('after a reload resumes from the position saved in localStorage instead of starting over', async () => {
    const saved = JSON.parse(String(await page.evaluate(`localStorage.getItem('fsc.position')`))) as { seq: number; epoch: string } | null;
    expect(saved?.seq).toBeGreaterThan(0);
    await page.reload();
    await waitFor('#resume[data-resumed="true"]');
    // The position the reloaded page resumed from: the one saved above, or a later one saved before the reload.
    const since = Number(await page.locator('#resume').getAttribute('data-since'));
    expect(since).toBeGreaterThanOrEqual(saved?.seq ?? 0);
    await loggedBeyond(since);
    const seqs = await logSeqs();
    // The log starts right after the saved position: the events missed during the reload, then live ones.
    expect(Math.min(...seqs)).toBe(since + 1);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it("keeps today's finished matches across a reload (from GET /events), and shows them to a new visitor", async () => {
    const end = (await storedOrNext(service, (e) => e.type === 'MATCH_ENDED')) as Extract<WireEvent, { type: 'MATCH_ENDED' }>;
    const stored = (await (await fetch(`${service.url}/matches/${end.match_id}`)).json()) as MatchView;
    const incidents = [...stored.goals, ...stored.cards, ...stored.substitutions].map((x) => x.event_id).sort();
    const shownResult = async (on: Page) => {
      const card = on.locator(`.match[data-match-id="${end.match_id}"][data-live="false"]`);
      await card.waitFor({ state: 'attached', timeout: WAIT_MS });
      expect(await card.locator('[data-field="score"]').textContent()).toBe(end.final_score);
      // With its scorers, cards and substitutions, as the service has them.
      expect(await card.locator('li[data-event-id]').evaluateAll((items) => items.map((i) => String(i.getAttribute('data-event-id'))).sort())).toEqual(incidents);
    };
    await page.reload();
    await shownResult(page);
    const visitor = await openPage(pageErrors);
    try {
      await visitor.goto(`http://127.0.0.1:${proxy.port}/`);
      await shownResult(visitor);
      expect(await visitor.locator('#match-count').innerText()).toMatch(/\d+ live · \d+ finished/);
    } finally {
      await visitor.close();
    }
  });

  it('on a phone, breaks substitution lines between names, never inside one', async () => {
    const phone = await openPage(pageErrors, { width: 390, height: 844 });
    try {
      await phone.goto(`http://127.0.0.1:${proxy.port}/`);
      await phone.locator('.match li[data-kind="sub"]').first().waitFor({ state: 'attached', timeout: WAIT_MS * 2 });
      const shown = await phone.locator('.match li[data-kind="sub"]').evaluateAll((items) =>
        items.map((i) => ({ matchId: String(i.closest('.match')?.getAttribute('data-match-id')), eventId: String(i.getAttribute('data-event-id')) })));
      const names = new Map<string, string[]>();
      for (const matchId of new Set(shown.map((s) => s.matchId))) {
        const match = (await (await fetch(`${service.url}/matches/${matchId}`)).json()) as MatchView;
        for (const sub of match.substitutions) names.set(sub.event_id, [sub.player_in, sub.player_out]);
      }
      const subs = shown.filter((s) => names.has(s.eventId)).map((s) => ({ eventId: s.eventId, names: names.get(s.eventId) ?? [] }));
      expect(subs.length).toBeGreaterThan(0);
      const problems = (await phone.evaluate(`(${NAMES_BROKEN})(${JSON.stringify(subs)})`)) as string[];
      expect(problems).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('filters the event log by match and by league', async () => {
    await loggedBeyond(0);
    const first = page.locator('#event-log li').first();
    const matchId = String(await first.getAttribute('data-match-id'));
    const leagueId = String(await first.getAttribute('data-league-id'));
    await page.locator('#log-filter').selectOption(`match:${matchId}`);
    const visibleMatches = await page.locator('#event-log li:not([hidden])').evaluateAll((items) => items.map((i) => i.getAttribute('data-match-id')));
    expect(visibleMatches.length).toBeGreaterThan(0);
    expect(new Set(visibleMatches)).toEqual(new Set([matchId]));
    await page.locator('#log-filter').selectOption(`league:${leagueId}`);
    const visibleLeagues = await page.locator('#event-log li:not([hidden])').evaluateAll((items) => items.map((i) => i.getAttribute('data-league-id')));
    expect(new Set(visibleLeagues)).toEqual(new Set([leagueId]));
    await page.locator('#log-filter').selectOption('');
    expect(await page.locator('#event-log li[hidden]').count()).toBe(0);
  });

  it('follows one league through the filter box (a subscribe with league_ids), then all matches again', async () => {
    const leagueIds = await page.locator('#matches .match[data-live="true"]').evaluateAll((items) => [...new Set(items.map((i) => i.getAttribute('data-league-id')))]);
    const leagueId = String(leagueIds[0]);
    // The id boxes are under the collapsed "connection" detail.
    await page.locator('#connection > summary').click();
    await page.locator('#f-league').fill(leagueId);
    await page.locator('#f-league').press('Enter');
    await page.waitForFunction(
      `(() => { const shown = [...document.querySelectorAll('#matches .match')].map((m) => m.getAttribute('data-league-id'));
        return shown.length > 0 && shown.every((l) => l === ${JSON.stringify(leagueId)}); })()`,
      undefined,
      { timeout: WAIT_MS },
    );
    expect(await page.evaluate(`localStorage.getItem('fsc.filter')`)).toContain(leagueId);
    // Reloaded while following it: today's results are read for that league only.
    const eventsQueries: URLSearchParams[] = [];
    const onRequest = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.pathname === '/events') eventsQueries.push(url.searchParams);
    };
    page.on('request', onRequest);
    await page.reload();
    await waitFor('#matches .match[data-live="false"]');
    page.off('request', onRequest);
    expect(eventsQueries.length).toBeGreaterThan(0);
    expect(eventsQueries.map((q) => q.get('league_id'))).toEqual(eventsQueries.map(() => leagueId));
    const shownLeagues = await page.locator('#matches .match').evaluateAll((items) => [...new Set(items.map((i) => i.getAttribute('data-league-id')))]);
    expect(shownLeagues).toEqual([leagueId]);
    await page.locator('#connection > summary').click();
    await page.locator('#f-all').click();
    await page.waitForFunction(`document.querySelectorAll('#matches section.group').length > 1`, undefined, { timeout: WAIT_MS });
    expect(await page.evaluate(`localStorage.getItem('fsc.filter')`)).toBe('null');
  });

  it('is keyboard-accessible: the skip link, the filter fields and the matches take focus', async () => {
    const fresh = await openPage(pageErrors);
    try {
      await fresh.goto(`http://127.0.0.1:${proxy.port}/`);
      await fresh.locator('#matches .match').first().waitFor({ timeout: WAIT_MS });
      await fresh.keyboard.press('Tab');
      expect(await fresh.evaluate(`document.activeElement.className`)).toBe('skip');
      await fresh.keyboard.press('Enter'); // the skip link moves focus to the matches
      await fresh.keyboard.press('Tab');
      expect(await fresh.evaluate(`document.activeElement.classList.contains('match')`)).toBe(true);
      // Focus survives the re-render that the next events cause.
      const focusedId = await fresh.evaluate(`document.activeElement.dataset.matchId`);
      const newest = await fresh.locator('#event-log li').evaluateAll((items) => Math.max(0, ...items.map((i) => Number(i.getAttribute('data-seq')))));
      await fresh.waitForFunction(`[...document.querySelectorAll('#event-log li')].some((li) => Number(li.getAttribute('data-seq')) > ${newest})`, undefined, { timeout: WAIT_MS * 2 });
      await fresh.evaluate(`new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))`);
      expect(await fresh.evaluate(`document.activeElement.dataset.matchId`)).toBe(focusedId);
      // "connection" opens from the keyboard, and its id boxes take focus in order.
      await fresh.locator('#connection > summary').focus();
      await fresh.keyboard.press('Enter');
      expect(await fresh.locator('#connection').getAttribute('open')).not.toBeNull();
      await fresh.locator('#f-match').focus();
      await fresh.keyboard.type('1');
      await fresh.keyboard.press('Tab');
      expect(await fresh.evaluate(`document.activeElement.id`)).toBe('f-league');
    } finally {
      await fresh.close();
    }
  });

  it('saves screenshots at desktop and phone width, light and dark', async () => {
    await waitFor('#matches .match [data-kind="goal"]');
    // As a fan first sees it: "connection" collapsed.
    await page.evaluate(`document.getElementById('connection').open = false`);
    const desktop = join(SHOTS, 'scoreboard-desktop.png');
    await page.screenshot({ path: desktop, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = join(SHOTS, 'scoreboard-dark.png');
    await page.screenshot({ path: dark, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    const phone = await openPage(pageErrors, { width: 390, height: 844 });
    try {
      await phone.goto(`http://127.0.0.1:${proxy.port}/`);
      await phone.locator('#matches .match').first().waitFor({ timeout: WAIT_MS });
      // Nothing wider than the screen: no sideways scrolling on a phone.
      expect(await phone.evaluate(`document.documentElement.scrollWidth`)).toBeLessThanOrEqual(390);
      const phoneShot = join(SHOTS, 'scoreboard-phone.png');
      await phone.screenshot({ path: phoneShot, fullPage: true });
      for (const file of [desktop, dark, phoneShot]) expect(statSync(file).size).toBeGreaterThan(10_000);
    } finally {
      await phone.close();
    }
  });

  it('logged no console errors and threw no page errors (network errors while the service was down excepted)', () => {
    // While the service is killed and restarted, the page's reconnects meet refused connections and,
    // from a service still starting or already stopping, 503 answers (the SDK's refusal probe, the
    // day's /events): those are the outage; any other console error or page error is not.
    const outage = /WebSocket connection to .* failed|Failed to load resource: net::ERR_|Failed to load resource: the server responded with a status of 503/;
    expect(pageErrors.filter((e) => !outage.test(e))).toEqual([]);
  });
});

describe('scoreboard with AUTH_TOKENS', () => {
  let service: TestService;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    service = await startService({ ...ENV, AUTH_TOKENS: 'page-secret' });
    page = await openPage(pageErrors);
  });

  afterAll(async () => {
    await page?.close();
    await service?.stop();
  });

  it('passes ?token= from its own URL to /ws and never shows it', async () => {
    await page.goto(`${service.url}/?token=page-secret&reconnectBaseMs=50`);
    await page.locator('#status[data-state="open"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    expect(await page.locator('body').innerText()).not.toContain('page-secret');
  });

  it('recognises a refused token although the browser hides the upgrade status, and says "refused"', async () => {
    await page.evaluate(`localStorage.clear()`);
    await page.goto(`${service.url}/?token=not-the-secret&reconnectBaseMs=50`);
    await page.locator('#status[data-state="refused"]').waitFor({ state: 'attached', timeout: WAIT_MS });
    expect((await page.locator('#status').innerText()).trim()).toBe('access refused');
    expect(await page.locator('body').innerText()).not.toContain('not-the-secret');
    // The refused upgrades and probes show up as console errors in Chromium (network); page errors must not.
    expect(pageErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
