/**
 * The OpenAPI document generates a client that works (issue 18 §5): during the test run,
 * `openapi-typescript` turns the live `/openapi.json` into types, `tsc --strict` checks a small
 * program that calls the API through `openapi-fetch` (`GET /events` with `since: next_since`, a
 * number; `GET /matches` with filters; a 400 read through the named error schema), and the
 * compiled program runs against the same service.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { settle } from '../helpers/waits.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'openapi-client-token';
const A = { key: 6101, leagueKey: 152, league: 'Premier League', homeKey: 61, awayKey: 62 };
const B = { key: 6102, leagueKey: 207, league: 'Serie A', homeKey: 63, awayKey: 64 };

const PROGRAM = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type Match = components['schemas']['Match'];
type GoalScored = components['schemas']['GoalScored'];
type HttpError = components['schemas']['HttpError'];

const client = createClient<paths>({
  baseUrl: process.env['BASE_URL'] ?? '',
  headers: { Authorization: \`Bearer \${process.env['TOKEN'] ?? ''}\` },
});

const first = await client.GET('/events', { params: { query: { limit: 2 } } });
if (first.data === undefined) throw new Error(\`GET /events answered \${first.response.status}\`);
const nextSince: number = first.data.next_since;
const rest = await client.GET('/events', { params: { query: { since: nextSince, limit: 1000 } } });
if (rest.data === undefined) throw new Error(\`GET /events?since answered \${rest.response.status}\`);
const goals: GoalScored[] = rest.data.events.filter((event): event is GoalScored => event.type === 'GOAL_SCORED');

const matches = await client.GET('/matches', { params: { query: { league_id: '207', team_id: ['63', '64'] } } });
if (matches.data === undefined) throw new Error(\`GET /matches answered \${matches.response.status}\`);
const listed: Match[] = matches.data.matches;

const refused = await client.GET('/matches', { params: { query: { league_id: 'x' } } });
const error: HttpError | undefined = refused.error;

/** Never called: only type-checked. */
export function typeErrors(): void {
  // @ts-expect-error since is an integer in the document, not a string
  void client.GET('/events', { params: { query: { since: '5' } } });
  // @ts-expect-error /matches takes no since
  void client.GET('/matches', { params: { query: { since: 5 } } });
}

console.log(JSON.stringify({
  first: first.data.events.map((event) => event.seq),
  nextSince,
  rest: rest.data.events.map((event) => event.seq),
  latest: rest.data.latest_seq,
  scorers: goals.map((goal) => goal.scorer),
  matches: listed.map((match) => [match.match_id, match.score]),
  refused: [refused.response.status, error?.parameter],
}));
`;

let standIn: StandIn;
let service: TestService;

beforeAll(async () => {
  standIn = await startStandIn();
  const feed = new LiveFeed(standIn);
  for (const match of [A, B]) feed.add({ ...match, status: '10' });
  service = await startService({ ...standInEnv(standIn), AUTH_TOKENS: TOKEN });
  await settle(service);
  feed.goal(A.key, 'home', '12', 'A. First').goal(B.key, 'away', '17', 'B. Second');
  await settle(service);
});

afterAll(async () => {
  await service?.stop();
  await standIn?.close();
});

it('openapi-typescript + openapi-fetch: a strict program type-checks against the live document and runs', async () => {
  const response = await fetch(`${service.url}/openapi.json`);
  expect(response.status).toBe(200);
  // The document as served, in its JSON text: openapi-typescript parses and validates it itself.
  const types = astToString(await openapiTS(await response.text()));
  // Named shapes, integers as numbers.
  expect(types).toMatch(/\bGoalScored: \{/);
  expect(types).toMatch(/\bMatch: \{/);
  expect(types).toMatch(/since\?: number/);

  // Inside the repository, so that `openapi-fetch` resolves from its node_modules.
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'test-results', 'openapi-client-'));
  writeFileSync(join(dir, 'api.ts'), types);
  writeFileSync(join(dir, 'program.ts'), PROGRAM);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM'],
        types: ['node'],
        skipLibCheck: true,
        outDir: 'out',
      },
      files: ['program.ts', 'api.ts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch((error: { stdout?: string; stderr?: string }) => error);
  expect(`${compiled.stdout ?? ''}${compiled.stderr ?? ''}`).toBe('');

  const { stdout } = await run(process.execPath, [join(dir, 'out', 'program.js')], { cwd: dir, env: { ...process.env, BASE_URL: service.url, TOKEN } });
  const result = JSON.parse(stdout) as { first: number[]; nextSince: number; rest: number[]; latest: number; scorers: string[]; matches: Array<[string, string]>; refused: [number, string] };
  expect(result.first).toEqual([1, 2]);
  expect(result.nextSince).toBe(2);
  expect([...result.first, ...result.rest]).toEqual(Array.from({ length: result.latest }, (_, i) => i + 1));
  expect(result.scorers).toEqual(['A. First', 'B. Second']);
  expect(result.matches).toEqual([['6102', '0-1']]);
  expect(result.refused).toEqual([400, 'league_id']);
});
