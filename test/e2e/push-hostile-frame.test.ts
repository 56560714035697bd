/**
 * Issue 16 item 4, as it happened: the service (`node dist/main.js`) in push mode, against a push
 * stand-in that sends — on every connection, as a provider replaying its current state would — a
 * frame whose match carries an unknown field nested 6,000 levels deep (~12 KB). It used to throw
 * `Maximum call stack size exceeded` out of the socket handler: exit 1, and exit 1 again after every
 * restart. Now the process stays up, the match in that frame is delivered (the unknown field is
 * ignored), other hostile frames (a deep frame, a deep value inside a goal, a huge array, invalid
 * UTF-8) are dropped and counted, and the next goal still reaches clients — before and after a
 * restart on the same DATA_DIR. The REST stand-in's Livescore carries the deep field too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { killAll, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { startPushProvider, type PushProvider } from '../helpers/push-provider.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { until } from '../helpers/waits.js';
import { wireGoal, wireMatch } from '../helpers/wire.js';
import { TestClient, subscribe, type Message } from '../helpers/ws-client.js';

const KEY = 7_100_001;
const DEPTH = 6_000;
const deep = `${'['.repeat(DEPTH)}1${']'.repeat(DEPTH)}`;
const goals = [wireGoal('home', '12', 'A. Striker', '1 - 0'), wireGoal('away', '31', 'B. Forward', '1 - 1')];

/** A match object's JSON with an unknown field nested DEPTH deep (too deep to build as an object). */
function withDeepField(match: Record<string, unknown>, field = 'extra'): string {
  const text = JSON.stringify(match);
  return `${text.slice(0, -1)},"${field}":${deep}}`;
}

const killerFrame = `[${withDeepField(wireMatch({ key: KEY, status: '23' }))}]`;

let standIn: StandIn | undefined;
let provider: PushProvider | undefined;
const processes: ListeningService[] = [];
const clients: TestClient[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await killAll(processes.splice(0));
  await provider?.close();
  await standIn?.close();
  provider = undefined;
  standIn = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function metric(service: ListeningService, series: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The next message that passes, or a rejection naming the exit if the process dies first. */
function nextOrDeath(client: TestClient, service: ListeningService, predicate: (m: Message) => boolean, what: string): Promise<Message> {
  return Promise.race([
    client.next(predicate, 15_000),
    service.exited.then(({ code, signal }) => {
      throw new Error(`the service exited (code ${code}, signal ${signal}) before ${what}; output:\n${service.output().slice(-2_000)}`);
    }),
  ]);
}

async function start(): Promise<{ service: ListeningService; client: TestClient }> {
  if (standIn === undefined || provider === undefined || dataDir === undefined) throw new Error('stand-ins not started');
  const connectionsBefore = provider.attempts.length;
  const service = await startServiceProcess({
    ALLSPORTS_API_KEY: 'test-key',
    ALLSPORTS_BASE_URL: standIn.baseUrl,
    UPSTREAM_MODE: 'push',
    ALLSPORTS_WS_URL: provider.url,
    DATA_DIR: dataDir,
    POLL_INTERVAL_SECS: '0.2',
    RECONCILE_INTERVAL_SECS: '3600',
    LOG_LEVEL: 'info',
  });
  processes.push(service);
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  await subscribe(client, { action: 'subscribe_all' });
  // The provider greets every new connection with the frame.
  const pushProvider = provider;
  await until(() => pushProvider.attempts.length > connectionsBefore && pushProvider.open().length === 1, 'the push connection', 15_000);
  expect(pushProvider.send(killerFrame)).toBe(1);
  return { service, client };
}

it('a frame nested 6,000 deep neither kills the service nor stops delivery, before or after a restart', async () => {
  standIn = await startStandIn();
  // Empty at first (the push announces the match); the poll after the restart sees the deep field too.
  let restBody = '{"success":1,"result":[]}';
  standIn.livescore(() => ({ body: restBody }));
  provider = await startPushProvider();
  dataDir = mkdtempSync(join(tmpdir(), 'fsc-deep-frame-'));

  const first = await start();
  await nextOrDeath(first.client, first.service, (m) => m.type === 'MATCH_STARTED' && m['match_id'] === String(KEY), 'MATCH_STARTED');
  // More hostile frames: the deep value as the whole frame, inside a goal, a huge array, invalid UTF-8.
  const deepInGoal = JSON.stringify([wireMatch({ key: KEY, status: '24', goals: [goals[0] as Record<string, unknown>] })]).replace('"info_time"', `"deep":${deep},"info_time"`);
  provider.send(deep);
  provider.send(deepInGoal);
  provider.send(JSON.stringify(Array.from({ length: 50_000 }, () => [])));
  // A text frame with invalid UTF-8 in a team name: decoded leniently (U+FFFD), not a dead socket.
  const [before, after] = JSON.stringify([wireMatch({ key: KEY + 1, status: '5', home: 'Home@' })]).split('@') as [string, string];
  expect(provider.sendTextBytes(Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after)]))).toBe(1);
  provider.send(`[${withDeepField(wireMatch({ key: KEY, status: '25', goals: goals.slice(0, 1) }))}]`);
  const goal = await nextOrDeath(first.client, first.service, (m) => m.type === 'GOAL_SCORED' && m['match_id'] === String(KEY), 'the first goal');
  expect(goal).toMatchObject({ scorer: 'A. Striker' });
  const lenient = first.client.all((m) => m.type === 'MATCH_STARTED' && m['match_id'] === String(KEY + 1));
  expect(lenient.map((m) => m['home_team'])).toEqual(['Home\uFFFD(\uFFFD']);
  expect(provider.attempts).toHaveLength(1);
  expect(first.service.child.exitCode).toBeNull();
  expect((await fetch(`${first.service.url}/health`)).status).toBe(200);
  expect(await metric(first.service, 'fsc_push_frames_total{outcome="ok"}')).toBeGreaterThanOrEqual(2);
  expect(await metric(first.service, 'fsc_push_frames_total{outcome="garbage"}')).toBeGreaterThanOrEqual(3);
  expect(await metric(first.service, 'fsc_push_rejected_matches_total{reason="oversized"}')).toBe(1);
  expect(await metric(first.service, 'fsc_push_frames_total{outcome="failed"}')).toBe(0);

  // Killed, restarted on the same DATA_DIR: the provider greets the new connection with the same
  // frame, and the first reconciliation poll brings the deep field through REST.
  first.service.child.kill('SIGKILL');
  await first.service.exited;
  restBody = `{"success":1,"result":[${withDeepField(wireMatch({ key: KEY, status: '25', goals: goals.slice(0, 1) }))}]}`;
  const polls = standIn.count('Livescore');
  const second = await start();
  await standIn.waitForRequests('Livescore', polls + 1);
  provider.send(`[${withDeepField(wireMatch({ key: KEY, status: '40', goals }))}]`);
  const equaliser = await nextOrDeath(second.client, second.service, (m) => m.type === 'GOAL_SCORED' && m['match_id'] === String(KEY), 'the second goal');
  expect(equaliser).toMatchObject({ scorer: 'B. Forward' });
  expect(second.service.child.exitCode).toBeNull();
  expect((await fetch(`${second.service.url}/health`)).status).toBe(200);

  second.service.child.kill('SIGTERM');
  expect((await second.service.exited).code).toBe(0);
  expect(second.service.output()).not.toContain('Maximum call stack size exceeded');
}, 90_000);
