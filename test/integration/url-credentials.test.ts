/**
 * Credentials in ALLSPORTS_BASE_URL (a proxy's `user:password@`) are redacted wherever the API key
 * is: the log lines that name the upstream, errors, the log scrubber's secrets, and the `feed`
 * identity stored in the database — which still recognises the same upstream after a password
 * rotation or a value stored by an older version with the credentials in it.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { redactSecrets, secretsOf, secretsOfEnv } from '../../src/log.js';
import { DATABASE_FILE } from '../../src/store/sqlite-event-store.js';
import { redactApiKey } from '../../src/upstream/errors.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { logLines, startService, tempDataDir, type TestService } from '../helpers/service.js';
import { startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';
import { settle } from '../helpers/waits.js';

const services: TestService[] = [];
let standIn: StandIn | undefined;
const dirs: string[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
  await standIn?.close();
  standIn = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const withCredentials = (baseUrl: string, user: string, password: string): string => {
  const url = new URL(baseUrl);
  url.username = user;
  url.password = password;
  return url.toString();
};

const storedFeed = (dataDir: string): string | undefined => {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'app:feed'").get()?.value;
  } finally {
    db.close();
  }
};

it('redacts URL credentials in text as it redacts the key', () => {
  expect(redactApiKey('GET http://joe:s3cret@proxy:3128/football/?met=Livescore&APIkey=abc failed')).toBe(
    'GET http://REDACTED@proxy:3128/football/?met=Livescore&APIkey=REDACTED failed',
  );
  expect(redactApiKey('see https://tok3n@host/x and http://host/y')).toBe('see https://REDACTED@host/x and http://host/y');
  // A raw @ in the password is part of it (a URL parser takes the last @ of the authority).
  expect(redactApiKey('"http://u:p@ss@host:1/x" failed')).toBe('"http://REDACTED@host:1/x" failed');
  // An @ in a path or query is not a credential.
  expect(redactApiKey('http://host/a@b?c=d@e')).toBe('http://host/a@b?c=d@e');
});

it('scrubs a start-up message with the secrets of the raw environment, even of a URL that does not parse', () => {
  const env = {
    ALLSPORTS_API_KEY: 'key-1234',
    AUTH_TOKENS: 'tok-aaaa, tok-bbbb',
    ALLSPORTS_BASE_URL: 'http://u:pa/ss-9999@127.0.0.1:8/',
  };
  const secrets = secretsOfEnv(env);
  expect(secrets).toEqual(expect.arrayContaining(['key-1234', 'tok-aaaa', 'tok-bbbb', 'u:pa/ss-9999', 'pa/ss-9999']));
  expect(redactSecrets('got "http://u:pa/ss-9999@127.0.0.1:8/", tok-bbbb, key-1234 and http://x:y@h?APIkey=z', secrets)).toBe(
    'got "http://[REDACTED]@127.0.0.1:8/", [REDACTED], [REDACTED] and http://REDACTED@h?APIkey=REDACTED',
  );
});

it('gives the scrubber the credentials and the password alone, as written and decoded', () => {
  const config = loadConfig({ ALLSPORTS_API_KEY: 'k', ALLSPORTS_BASE_URL: 'http://proxy-user:p%40ss-word@proxy:3128/football/' });
  expect(secretsOf(config)).toEqual(expect.arrayContaining(['proxy-user:p%40ss-word', 'p%40ss-word', 'proxy-user:p@ss-word', 'p@ss-word']));
});

it('logs and stores the upstream without credentials, and still knows it after a password change or an older stored form', async () => {
  standIn = await startStandIn();
  new LiveFeed(standIn).add({ key: 6001 });
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const first = await startService(standInEnv(standIn, { ALLSPORTS_BASE_URL: withCredentials(standIn.baseUrl, 'proxyuser', 'first-Passw0rd') }), { dataDir });
  services.push(first);
  const seq = await settle(first);
  expect(seq).toBe(1);
  const polling = logLines(first, 'polling AllSportsAPI');
  expect(polling).toHaveLength(1);
  expect(String(polling[0]?.['upstream'])).toMatch(/^http:\/\/REDACTED@127\.0\.0\.1:\d+\//);
  expect(first.logs.join('\n')).not.toContain('first-Passw0rd');
  await first.stop();
  services.length = 0;
  const feed = storedFeed(dataDir);
  expect(feed).toBe(redactApiKey(withCredentials(standIn.baseUrl, 'proxyuser', 'first-Passw0rd')));
  expect(feed).not.toContain('first-Passw0rd');

  // An older version stored the URL with its credentials; the password has been rotated since.
  const db = new Database(join(dataDir, DATABASE_FILE));
  db.prepare("UPDATE meta SET value = ? WHERE key = 'app:feed'").run(withCredentials(standIn.baseUrl, 'proxyuser', 'first-Passw0rd'));
  db.close();
  const second = await startService(standInEnv(standIn, { ALLSPORTS_BASE_URL: withCredentials(standIn.baseUrl, 'proxyuser', 'rotated-Passw0rd') }), { dataDir });
  services.push(second);
  // Same upstream: the match stays known (not announced again), and the stored form is clean again.
  expect(await settle(second)).toBe(1);
  expect(second.logs.some((line) => line.includes('recorded from another upstream'))).toBe(false);
  await second.stop();
  services.length = 0;
  expect(storedFeed(dataDir)).toBe(feed);
});

it('sends the URL credentials to the upstream as HTTP Basic auth, never in the URL', async () => {
  standIn = await startStandIn();
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const service = await startService(
    standInEnv(standIn, { ALLSPORTS_BASE_URL: withCredentials(standIn.baseUrl, 'proxy user', 'p@ss:word') }),
    { dataDir },
  );
  services.push(service);
  await standIn.waitForRequests('Livescore', 1);
  const request = standIn.requests.find((r) => r.query.get('met') === 'Livescore');
  expect(request?.headers['authorization']).toBe(`Basic ${Buffer.from('proxy user:p@ss:word').toString('base64')}`);
  expect(request?.url).not.toContain('word');
});
