/**
 * AllSportsAPI (allsportsapi.com, FORMAT.md) as the provider contract describes it
 * (`../provider.ts`): its parser, its polling client, its push feed and its simulator renderer.
 */
import type { Provider } from '../provider.js';
import { UpstreamClient } from './client.js';
import { parseMatch, parseReply } from './parse.js';
import { allSportsApiPush } from './push.js';

export const allSportsApi: Provider = {
  name: 'allsportsapi',
  displayName: 'AllSportsAPI',
  parser: { parseReply, parseMatch },
  createClient: (settings, metrics) => new UpstreamClient(metrics === undefined ? { config: settings } : { config: settings, metrics }),
  push: allSportsApiPush,
  loadSimulator: async () => (await import('../../sim/render/allsportsapi/index.js')).allSportsApiSim,
};
