/**
 * Issue 16 item 18: configuration errors printed secrets — `ALLSPORTS_BASE_URL=http://u:Secret@…:99999/`
 * printed the password, an invalid `ALLSPORTS_WS_URL` printed the `APIkey`. The real process
 * (`node dist/main.js`) is started with such values: it exits 1 with one line naming the variable,
 * and the secret appears nowhere in what it prints (stdout and stderr), in any form. Start-up
 * errors after the configuration (Redis refusing, in JSON and pretty logs) are checked the same way.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawnService } from '../helpers/process.js';

const SECRET = 'Pw-5e8c2a91-SECRET';
const KEY = 'KEY-3b7d9f04-APIKEY';
const TOKEN = 'tok-8a1c6e27-TOKEN';
/** Every form a secret could be printed in, and its distinctive fragment. */
const forms = (secret: string): string[] => [secret, encodeURIComponent(secret), secret.split('-')[1] as string];

async function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const service = spawnService(env);
  const { code } = await service.exited;
  return { code, output: service.output() };
}

function expectNoSecret(output: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of forms(secret)) expect(output.includes(form), `"${form}" printed:\n${output}`).toBe(false);
  }
}

describe('configuration errors never print a secret', () => {
  it.each([
    ['the issue: a proxy password in an invalid ALLSPORTS_BASE_URL', { ALLSPORTS_BASE_URL: `http://u:${SECRET}@127.0.0.1:99999/football/` }, 'ALLSPORTS_BASE_URL', 'REDACTED@127.0.0.1:99999'],
    ['the issue: the key in an invalid ALLSPORTS_WS_URL', { ALLSPORTS_API_KEY: KEY, ALLSPORTS_WS_URL: `wss://wss.allsportsapi.com:99999/live_events?APIkey=${KEY}` }, 'ALLSPORTS_WS_URL', 'APIkey=REDACTED'],
    ['a key in an invalid ALLSPORTS_WS_URL without ALLSPORTS_API_KEY', { ALLSPORTS_WS_URL: `wss://wss.allsportsapi.com:99999/live_events?apikey=${KEY}&x=1` }, 'ALLSPORTS_WS_URL', 'apikey=REDACTED'],
    ['credentials in an invalid ALLSPORTS_WS_URL', { ALLSPORTS_WS_URL: `ws://user:${SECRET}@127.0.0.1:99999/live_events` }, 'ALLSPORTS_WS_URL', 'REDACTED@'],
    ['a password with a raw @', { ALLSPORTS_BASE_URL: `http://u:p@ss-${SECRET}@127.0.0.1:99999/` }, 'ALLSPORTS_BASE_URL', 'REDACTED@127.0.0.1'],
    ['a password with a raw /', { ALLSPORTS_BASE_URL: `http://u:pa/${SECRET}@127.0.0.1:8/` }, 'ALLSPORTS_BASE_URL', 'ALLSPORTS_BASE_URL: expected'],
    ['credentials longer than what the message shows', { ALLSPORTS_BASE_URL: `http://${'user'.repeat(15)}:${SECRET}${'x'.repeat(40)}@127.0.0.1:99999/` }, 'ALLSPORTS_BASE_URL', 'REDACTED@'],
    ['credentials in ALLOWED_ORIGINS', { ALLOWED_ORIGINS: `https://app.example.com,https://u:${SECRET}@app.example.com/path` }, 'ALLOWED_ORIGINS', 'REDACTED@app.example.com'],
    ['the key pasted into another variable', { ALLSPORTS_API_KEY: KEY, POLL_INTERVAL_SECS: KEY }, 'POLL_INTERVAL_SECS', 'got "[REDACTED]"'],
    ['a token pasted into another variable', { AUTH_TOKENS: `other-token,${TOKEN}`, LOG_LEVEL: TOKEN }, 'LOG_LEVEL', 'expected one of'],
    ['a Redis password in an invalid REDIS_URL', { REDIS_URL: `redis://:${SECRET}@127.0.0.1:99999/0` }, 'REDIS_URL', 'expected a URL'],
  ])('%s', async (_name, env, variable, shows) => {
    const { code, output } = await run(env);
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable}: `));
    // Still useful: the message says what is wrong with the value.
    expect(output).toContain(shows);
    expectNoSecret(output, [SECRET, KEY, TOKEN]);
  });
});

describe('start-up errors never print a secret', () => {
  it.each(['json', 'pretty'])('Redis refusing at start-up (%s logs): the password in REDIS_URL is not printed', async (format) => {
    // A port that was free a moment ago: nothing answers there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { code, output } = await run({
      REDIS_URL: `redis://fsc:${SECRET}@127.0.0.1:${port}/0`,
      ALLSPORTS_API_KEY: KEY,
      ALLSPORTS_BASE_URL: `http://proxy:${SECRET}@127.0.0.1:${port}/football/`,
      LOG_FORMAT: format,
      LOG_LEVEL: 'trace',
    });
    expect(code).toBe(1);
    expect(output).toContain('start-up failed');
    expect(output).toContain('REDIS_URL');
    expectNoSecret(output, [SECRET, KEY]);
  });
});
