/**
 * The providers the service speaks, by name: the one place a provider is selected. Adding one is a
 * folder under `src/upstream/<name>/` exporting a `Provider` (`./provider.ts`), with its simulator
 * renderer, and one line here.
 */
import { allSportsApi } from './allsportsapi/index.js';
import { apiFootballProvider } from './api-football/index.js';
import type { Provider } from './provider.js';

/** The provider used when none is chosen. */
export const DEFAULT_PROVIDER = 'allsportsapi';

const PROVIDERS: ReadonlyMap<string, Provider> = new Map([
  [allSportsApi.name, allSportsApi],
  [apiFootballProvider.name, apiFootballProvider],
]);

/** Names of the providers the service speaks, in registration order. */
export const PROVIDER_NAMES: readonly string[] = [...PROVIDERS.keys()];

/** The provider registered under `name`; `undefined` for a name nobody registered. */
export function providerNamed(name: string): Provider | undefined {
  return PROVIDERS.get(name);
}

/** The provider registered under `name`, or an error naming the ones that are. */
export function requireProvider(name: string = DEFAULT_PROVIDER): Provider {
  const provider = providerNamed(name);
  if (provider === undefined) throw new RangeError(`unknown provider "${name}": one of ${PROVIDER_NAMES.join(', ')}`);
  return provider;
}
