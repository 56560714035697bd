/**
 * The upstream part: which provider this instance polls (`PROVIDER`: AllSportsAPI or API-Football,
 * or the built-in simulated matchday in that provider's format when no key is set) and the client
 * that polls it.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventStore } from '../store/types.js';
import { redactApiKey } from '../upstream/errors.js';
import type { Provider, ProviderClient } from '../upstream/provider.js';
import { requireProvider } from '../upstream/registry.js';
import type { Parts } from './parts.js';
import { simulatedMatchdayClock } from './sim-clock.js';

/** The simulated provider a `WORKERS` primary runs for its instance (its workers poll it). */
export interface PrimarySimulator {
  readonly baseUrl: string;
  readonly pushUrl: string | undefined;
}

export interface UpstreamOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where the simulator clock is kept. */
  readonly store: EventStore;
  /** Registers the `upstream` closing steps (the client, then the simulator). */
  readonly parts: Parts;
  /** This process is a worker whose primary runs the instance's simulator: poll that one. */
  readonly primarySimulator?: PrimarySimulator | undefined;
}

export interface ResolvedUpstream {
  /** The provider (issue 17 §3): its client, push feed and simulator. */
  readonly provider: Provider;
  readonly client: ProviderClient;
  /** The base URL polled (the built-in simulator's when no key is set). */
  readonly baseUrl: string;
  /** The push feed's URL (UPSTREAM_MODE=push), the simulator's own with the built-in one. */
  readonly pushUrl: string;
  /** The provider's request budget (API-Football), which the polling cadence follows; absent: none. */
  readonly budget: PollBudget | undefined;
}

/** What a provider's request budget asks of the polling loop. */
export interface PollBudget {
  /** The shortest interval between polls the budget allows now (the day's quota spread until it resets). */
  minIntervalMs(): number;
  /** Look-ups of vanished matches one request answers together (API-Football's `ids=`): let that many be asked at once. */
  readonly lookupsPerRequest: number;
}

/** How logs name the chosen provider's variables (`PROVIDER`). */
function providerWords(config: Config): { keyVariable: string; baseUrlVariable: string } {
  return config.upstream.provider === 'api-football'
    ? { keyVariable: 'APIFOOTBALL_API_KEY', baseUrlVariable: 'APIFOOTBALL_BASE_URL' }
    : { keyVariable: 'ALLSPORTS_API_KEY', baseUrlVariable: 'ALLSPORTS_BASE_URL' };
}

/**
 * `PROVIDER=api-football`: its client, polling `baseUrl` within the plan's request budget; it also
 * takes the followed leagues, the cadence its budget is checked against, and a logger for its notices.
 */
async function apiFootballClient(config: Config, baseUrl: string, metrics: Metrics, logger: Logger): Promise<{ client: ProviderClient; budget: PollBudget }> {
  const { createApiFootballClient, MAX_IDS_PER_REQUEST } = await import('../upstream/api-football/index.js');
  const client = createApiFootballClient({ ...config.upstream, baseUrl }, metrics, { leagues: config.upstream.leagues, pollIntervalMs: config.pollIntervalMs }, logger);
  return { client, budget: { minIntervalMs: () => client.minIntervalMs(), lookupsPerRequest: MAX_IDS_PER_REQUEST } };
}

/** Chooses the provider (starting the built-in simulator if it is the one) and opens its client. */
export async function resolveUpstream(config: Config, options: UpstreamOptions): Promise<ResolvedUpstream> {
  const { logger, metrics, parts } = options;
  // The provider selection point: its client, push feed and simulator.
  const provider = requireProvider(config.upstream.provider);
  const { keyVariable, baseUrlVariable } = providerWords(config);
  let baseUrl = config.upstream.baseUrl;
  let pushUrl = config.upstream.wsUrl;
  const primarySimulator = options.primarySimulator;
  if (config.upstream.useBuiltInSim && primarySimulator !== undefined) {
    // The primary runs the instance's simulated provider (and kept its clock); workers poll it.
    baseUrl = primarySimulator.baseUrl;
    pushUrl = primarySimulator.pushUrl ?? pushUrl;
  } else if (config.upstream.useBuiltInSim) {
    // Lazy import: the simulator ships for the demo, but only this branch ever loads it.
    const { startSimServer } = await import('../sim/server.js');
    const sim = await startSimServer({
      renderer: await provider.loadSimulator(),
      speed: config.simSpeed,
      startAtSimSecs: await simulatedMatchdayClock(options.store, config.simSpeed),
    });
    parts.add('upstream', () => sim.close());
    baseUrl = sim.baseUrl;
    pushUrl = sim.pushUrl;
    logger.info(
      { upstream: baseUrl, sim_speed: config.simSpeed, provider: provider.name },
      `No ${keyVariable} set: using the built-in simulated matchday (a 90-minute match takes about ${Math.round(5400 / config.simSpeed / 6) / 10} minutes). Set ${keyVariable} to poll the real ${provider.displayName}.`,
    );
  } else if (config.upstream.apiKey === undefined) {
    logger.info({ upstream: redactApiKey(baseUrl) }, `No ${keyVariable} set: polling ${baseUrlVariable} without a key`);
  } else {
    logger.info({ upstream: redactApiKey(baseUrl) }, `polling ${provider.displayName}`);
  }

  const apiFootball = config.upstream.provider === 'api-football' ? await apiFootballClient(config, baseUrl, metrics, logger) : undefined;
  const client = apiFootball?.client ?? provider.createClient({ ...config.upstream, baseUrl }, metrics);
  parts.add('upstream', () => client.close());
  client.onRetry((event) => {
    const error = 'error' in event ? event.error : undefined;
    logger.info(
      { attempt: event.attempt, delay_ms: event.delay, kind: (error as { kind?: string } | undefined)?.kind },
      'retrying upstream request',
    );
  });
  client.onBreakerStateChange((state) => {
    logger.warn({ breaker: client.health().breaker, state }, 'upstream circuit breaker changed state');
  });
  return { provider, client, baseUrl, pushUrl, budget: apiFootball?.budget };
}
