/**
 * `npm run sim`: runs the simulated provider on its own (AllSportsAPI, or API-Football with
 * `PROVIDER=api-football`), for the demo and for manual testing. Settings (PROVIDER, SIM_PORT,
 * SIM_HOST, SIM_SPEED, SIM_START_AT_SECS) are validated by `loadSimCliConfig`.
 */
import { ConfigError, environmentWithDotenv, loadSimCliConfig, processEnvironment, type SimCliConfig } from '../config.js';
import { requireProvider } from '../upstream/registry.js';
import { matchdayLengthSecs } from './matchday.js';
import { startSimServer } from './server.js';

async function main(): Promise<void> {
  let settings: SimCliConfig;
  try {
    settings = loadSimCliConfig(environmentWithDotenv(processEnvironment()));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`sim: ${error.message}`);
    process.exitCode = 1;
    return;
  }

  const renderer = await requireProvider(settings.provider).loadSimulator();
  const server = await startSimServer({ ...settings, renderer }).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`sim: cannot listen on ${settings.host}:${settings.port}: ${reason}`);
    process.exitCode = 1;
    return undefined;
  });
  if (server === undefined) return;

  const cycleRealSecs = Math.round(matchdayLengthSecs / settings.speed);
  console.log(
    settings.provider === 'api-football'
      ? `sim: simulated API-Football ready, set PROVIDER=api-football APIFOOTBALL_BASE_URL=${server.baseUrl} ` +
          `(speed ${settings.speed}x, matchday loops every ${cycleRealSecs} s)`
      : `sim: simulated AllSportsAPI ready, set ALLSPORTS_BASE_URL=${server.baseUrl} ` +
          `(and for UPSTREAM_MODE=push, ALLSPORTS_WS_URL=${server.pushUrl}) ` +
          `(speed ${settings.speed}x, matchday loops every ${cycleRealSecs} s)`,
  );

  const stop = (signal: NodeJS.Signals): void => {
    server.close().then(
      () => console.log(`sim: stopped on ${signal}`),
      (error: unknown) => {
        console.error(`sim: error while stopping on ${signal}:`, error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
