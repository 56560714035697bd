/**
 * `/events` filters cannot be used to amplify memory or CPU: at most 500 ids per parameter (a
 * longer list is a 400 naming the parameter), and the SQL does not depend on how many ids are given,
 * so every count is served by the one statement compiled for its filter shape.
 */
import { afterEach, expect, it } from 'vitest';
import { MonitoredEventStore } from '../../src/store/monitored-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { StandInRig } from '../helpers/service.js';
import { settle } from '../helpers/waits.js';

const rig = new StandInRig();
afterEach(() => rig.stop());

/** `count` distinct numeric ids that no match has, with `include` first. */
const ids = (count: number, include: readonly string[] = []): string[] => [
  ...include,
  ...Array.from({ length: count - include.length }, (_, i) => String(900_000 + i)),
];

async function startWithMatches(): Promise<string> {
  const service = await rig.start();
  new LiveFeed(rig.standIn)
    .add({ key: 5001, leagueKey: 152 })
    .add({ key: 5002, leagueKey: 152 })
    .add({ key: 5003, leagueKey: 207 });
  await settle(service);
  return service.url;
}

interface EventsPage {
  events: Array<{ match_id: string; league_id: string }>;
}

it('answers 400 naming the parameter when a filter lists more than 500 ids, however they are spread', async () => {
  const url = await startWithMatches();
  for (const name of ['match_id', 'league_id']) {
    const atLimit = await fetch(`${url}/events?${name}=${ids(500).join(',')}`);
    expect(atLimit.status, `${name} with 500 ids`).toBe(200);

    for (const query of [
      `${name}=${ids(501).join(',')}`,
      // Repeated parameters count together.
      ids(501).map((id) => `${name}=${id}`).join('&'),
      `${name}=${ids(300).join(',')}&${name}=${ids(300).join(',')}`,
    ]) {
      const response = await fetch(`${url}/events?${query}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ error: 'INVALID_PARAMETER', parameter: name });
      expect(String(body['message'])).toContain(`${name}: at most 500 ids`);
    }
  }
});

it('serves every id count from one compiled statement per filter shape, with the right events', async () => {
  const url = await startWithMatches();
  const monitored = rig.service.app.store;
  const store = monitored instanceof MonitoredEventStore ? monitored.inner : monitored;
  if (!(store instanceof SqliteEventStore)) throw new Error('expected the SQLite store');

  // Warm each shape once, then vary only the counts.
  await fetch(`${url}/events?match_id=5001`);
  await fetch(`${url}/events?match_id=5001&league_id=152`);
  const compiled = store.compiledReadStatements;
  for (let count = 1; count <= 500; count += 7) {
    const byMatch = (await (await fetch(`${url}/events?match_id=${ids(count, ['5001']).join(',')}`)).json()) as EventsPage;
    expect(new Set(byMatch.events.map((e) => e.match_id))).toEqual(new Set(['5001']));
    const both = await fetch(`${url}/events?match_id=${ids(count, ['5003']).join(',')}&league_id=${ids(Math.max(2, count), ['152', '207']).join(',')}`);
    expect(new Set(((await both.json()) as EventsPage).events.map((e) => e.match_id))).toEqual(new Set(['5003']));
  }
  // Team filters (WebSocket) go through the same path: two columns, still one statement per shape.
  for (const count of [1, 2, 50, 499, 500]) {
    const rows = await store.readAfter({ since: 0, limit: 100, mode: 'any', teamIds: ids(count, ['50021']) });
    expect(rows === 'too-old' ? [] : rows.map((e) => e.matchId)).toEqual(['5002']);
  }
  expect(store.compiledReadStatements).toBe(compiled + 1);
});
