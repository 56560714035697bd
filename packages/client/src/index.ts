/**
 * `@football-streaming-core/client`: the client SDK of Football Streaming Core.
 *
 * ```ts
 * import { FeedClient } from '@football-streaming-core/client';
 * const feed = new FeedClient({ url: 'ws://localhost:8080/ws' });
 * feed.on('event', (event) => console.log(event.type, event.seq));
 * await feed.connect();
 * ```
 */
export {
  FeedClient,
  FeedError,
  FeedErrorCode,
  HandledCloseCodes,
  type ConnectionState,
  type FeedClientOptions,
  type FeedErrorDetails,
  type FeedEvents,
  type FeedFilter,
  type Position,
  type RetryInfo,
  type UpstreamState,
  type UpstreamStatus,
  type WebSocketConstructor,
  type WebSocketLike,
} from './feed.js';
export { endedMatch, foldEvent } from './fold.js';
export { PHASE_LABELS, clockMinute, minuteSortKey } from './minute.js';
export type * from './wire.js';
