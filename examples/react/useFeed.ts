/**
 * `useFeed`: a React hook over the SDK's `FeedClient`. It opens one feed per set of options, closes
 * it when the component unmounts (or the options change), and re-renders with the connection state,
 * the live matches and the latest events.
 *
 * ```tsx
 * const { state, matches, events, upstream } = useFeed({ url: 'ws://localhost:8080/ws', filter: { league_ids: ['9152'] } });
 * ```
 *
 * `close()` is safe at any moment, so React's StrictMode (which mounts, unmounts and mounts again in
 * development) leaves exactly one connection open.
 */
import { FeedClient, type ConnectionState, type FeedClientOptions, type FeedError, type MatchView, type UpstreamStatus, type WireEvent } from '@football-streaming-core/client';
import { useEffect, useState } from 'react';

export interface FeedView {
  readonly state: ConnectionState;
  /** Live matches, in the order the service lists them (kick-off). */
  readonly matches: readonly MatchView[];
  /** The newest events first, at most `maxEvents`. */
  readonly events: readonly WireEvent[];
  /** The data provider as the service sees it (`ok`, `degraded`, `down`), once the service said. */
  readonly upstream: UpstreamStatus | undefined;
  /** The last error the feed reported (it goes on unless `error.details.final`). */
  readonly error: FeedError | undefined;
}

export interface UseFeedOptions {
  /** How many recent events to keep. @default 50 */
  readonly maxEvents?: number;
}

const INITIAL: FeedView = { state: 'connecting', matches: [], events: [], upstream: undefined, error: undefined };

export function useFeed(options: FeedClientOptions, { maxEvents = 50 }: UseFeedOptions = {}): FeedView {
  const [view, setView] = useState<FeedView>(INITIAL);
  // A new feed only when what it connects to changes, not on every render's new options object.
  const key = JSON.stringify([options.url, options.token ?? null, options.filter ?? null]);

  useEffect(() => {
    const feed = new FeedClient(options);
    const matches = () => [...feed.matches.values()];
    const off = [
      feed.on('state', (state) => setView((v) => ({ ...v, state }))),
      feed.on('snapshot', () => setView((v) => ({ ...v, matches: matches() }))),
      feed.on('match', () => setView((v) => ({ ...v, matches: matches() }))),
      feed.on('event', (event) => setView((v) => ({ ...v, events: [event, ...v.events].slice(0, maxEvents) }))),
      feed.on('upstream', (upstream) => setView((v) => ({ ...v, upstream }))),
      feed.on('error', (error) => setView((v) => ({ ...v, error }))),
    ];
    feed.connect().catch((error: FeedError) => {
      // CLOSED: this effect was cleaned up before the feed subscribed (StrictMode, a quick unmount).
      if (error.code !== 'CLOSED') setView((v) => ({ ...v, error }));
    });
    return () => {
      for (const remove of off) remove();
      feed.close();
      setView(INITIAL);
    };
    // `key` stands for `options` (a new object on every render); `maxEvents` only trims what comes next.
  }, [key]);

  return view;
}
