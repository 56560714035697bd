/** PROVIDER and the API-Football variables (issue 21 "Configuration"). */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Env } from '../../../src/config.js';

function refusal(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('PROVIDER=api-football', () => {
  it('reads APIFOOTBALL_API_KEY and defaults APIFOOTBALL_BASE_URL to the api-sports host', () => {
    const config = loadConfig({ PROVIDER: 'api-football', APIFOOTBALL_API_KEY: 'af-key' });
    expect(config.upstream).toMatchObject({
      provider: 'api-football',
      apiKey: 'af-key',
      baseUrl: 'https://v3.football.api-sports.io/',
      useBuiltInSim: false,
      leagues: [],
    });
    expect(config.pollIntervalMs).toBe(15_000);
  });

  it('with no key plays the built-in simulator', () => {
    const config = loadConfig({ PROVIDER: 'api-football' });
    expect([config.upstream.provider, config.upstream.apiKey, config.upstream.useBuiltInSim]).toEqual(['api-football', undefined, true]);
  });

  it('takes the RapidAPI base URL, followed leagues, and PROVIDER_TIMEZONE (ALLSPORTS_TIMEZONE as its alias)', () => {
    const config = loadConfig({
      PROVIDER: 'api-football',
      APIFOOTBALL_API_KEY: 'k',
      APIFOOTBALL_BASE_URL: 'https://api-football-v1.p.rapidapi.com/v3',
      APIFOOTBALL_LEAGUES: '39, 61',
      PROVIDER_TIMEZONE: 'Europe/London',
      POLL_INTERVAL_SECS: '5',
    });
    expect(config.upstream).toMatchObject({ baseUrl: 'https://api-football-v1.p.rapidapi.com/v3/', leagues: ['39', '61'], timezone: 'Europe/London' });
    expect(config.pollIntervalMs).toBe(5_000);
    expect(loadConfig({ ALLSPORTS_API_KEY: 'k', ALLSPORTS_TIMEZONE: '+02:00' }).upstream.timezone).toBe('+02:00');
    expect(loadConfig({ ALLSPORTS_API_KEY: 'k', PROVIDER_TIMEZONE: 'Europe/Berlin' }).upstream.timezone).toBe('Europe/Berlin');
  });

  it.each([
    [{ PROVIDER: 'api-football', UPSTREAM_MODE: 'push' }, 'PROVIDER, UPSTREAM_MODE'],
    [{ PROVIDER: 'api-football', ALLSPORTS_API_KEY: 'k' }, 'PROVIDER, ALLSPORTS_API_KEY'],
    [{ APIFOOTBALL_API_KEY: 'k' }, 'PROVIDER, APIFOOTBALL_API_KEY'],
    [{ PROVIDER: 'allsportsapi', APIFOOTBALL_API_KEY: 'k' }, 'PROVIDER, APIFOOTBALL_API_KEY'],
    [{ PROVIDER: 'api-football', ALLSPORTS_BASE_URL: 'http://127.0.0.1:1/' }, 'PROVIDER, ALLSPORTS_BASE_URL'],
    [{ PROVIDER: 'football-data' }, 'PROVIDER'],
    [{ PROVIDER: 'api-football', PROVIDER_TIMEZONE: '+02:00' }, 'PROVIDER_TIMEZONE'],
    [{ PROVIDER_TIMEZONE: 'Europe/Berlin', ALLSPORTS_TIMEZONE: 'UTC' }, 'PROVIDER_TIMEZONE, ALLSPORTS_TIMEZONE'],
    [{ PROVIDER: 'api-football', APIFOOTBALL_LEAGUES: '39,premier' }, 'APIFOOTBALL_LEAGUES'],
  ])('a wrong combination stops start-up with one line naming the variables: %j', (env, variables) => {
    const error = refusal(env);
    expect(error.variable).toBe(variables);
    expect(error.message.startsWith(`${variables}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('never shows the key in a refusal', () => {
    const error = refusal({ PROVIDER: 'allsportsapi', APIFOOTBALL_API_KEY: 'secret-af-key-123' });
    expect(error.message).not.toContain('secret-af-key-123');
  });
});
