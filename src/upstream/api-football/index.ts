/**
 * The API-Football provider (`Provider`): parser, polling client, simulator renderer. No push feed:
 * `UPSTREAM_MODE=push` is refused for it (config.ts).
 */
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import type { Provider, ProviderClientSettings } from '../provider.js';
import { ApiFootballClient, type ApiFootballClientOptions } from './client.js';
import { apiFootballParser } from './parser.js';

export { ApiFootballClient, MAX_IDS_PER_REQUEST } from './client.js';

/** The client, with its one-time notices (plan cannot sustain the cadence, `ids` refused) sent to `logger`. */
export function createApiFootballClient(
  settings: ProviderClientSettings,
  metrics: Metrics | undefined,
  options: ApiFootballClientOptions,
  logger?: Logger,
): ApiFootballClient {
  const client = new ApiFootballClient(settings, metrics, options);
  if (logger !== undefined) {
    client.onNotice((notice) => {
      const fields = notice.fields ?? {};
      if (notice.level === 'error') logger.error(fields, notice.message);
      else if (notice.level === 'warn') logger.warn(fields, notice.message);
      else logger.info(fields, notice.message);
    });
  }
  return client;
}

export const apiFootballProvider: Provider = {
  name: 'api-football',
  displayName: 'API-Football',
  parser: apiFootballParser,
  createClient: (settings, metrics) => new ApiFootballClient(settings, metrics),
  loadSimulator: async () => (await import('../../sim/render/api-football/index.js')).apiFootballSimRenderer,
};
