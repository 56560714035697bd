/**
 * Feed identity: match states belong to the provider feed they were recorded from.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { EventStore } from '../store/types.js';
import { redactApiKey } from '../upstream/errors.js';

/** The feed the match states are recorded from (URL credentials and key redacted). */
export function feedIdentity(config: Config): string {
  return config.upstream.useBuiltInSim ? 'built-in simulated matchday' : redactApiKey(config.upstream.baseUrl);
}

/**
 * Match states belong to the feed they were recorded from: a DATA_DIR reused with another upstream
 * (a test's stand-in on a new port, say) must not make its matches look known.
 */
export async function followFeed(store: EventStore, feed: string, logger: Logger, fence?: string): Promise<void> {
  // Stored without the key or URL credentials (redactApiKey), so rotating a proxy password keeps the
  // feed the same; a value stored by an older version, credentials included, is compared redacted.
  const previousFeed = await store.getMeta('feed');
  if (previousFeed !== undefined && redactApiKey(previousFeed) !== feed) {
    // The book, not loadStates: a malformed state left out is reported (and forgotten with the rest).
    const { states } = await store.loadBook();
    if (states.length > 0) {
      await store.commit({ events: [], states: [], forget: states.map((s) => s.matchId), ...(fence === undefined ? {} : { fence }) });
      logger.warn(
        { matches: states.length },
        'stored match state was recorded from another upstream: following matches afresh (event history and epoch kept)',
      );
    }
  }
  // Written only when it changes (a value with credentials from an older version is rewritten
  // redacted): a promotion must not need a write that changes nothing (Redis at maxmemory refuses it).
  if (previousFeed !== feed) await store.setMeta('feed', feed);
}
