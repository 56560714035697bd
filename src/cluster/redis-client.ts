/**
 * The ioredis options the scale-out parts are built for. The app creates the client (the store,
 * lease and bus only receive it) with `new Redis(REDIS_URL, REDIS_CLIENT_OPTIONS)` and
 * `await redis.connect()` before using it.
 *
 * Why these:
 * - `enableOfflineQueue: false`: while Redis is unreachable a command fails at once instead of
 *   waiting in the client to run late. A REST read answers 503 instead of hanging; a lease attempt
 *   is retried on its own timer; a commit is refused (the store also checks, whatever the options),
 *   so the writer never applies stale work after an outage: it re-detects against the stored states
 *   once Redis is back and announces the changes then, once.
 * - `lazyConnect: true`: with no offline queue, commands sent before the first connection would
 *   fail; the app awaits `connect()` at start instead.
 * - `maxRetriesPerRequest: 1`: a command in flight when the connection drops is resent once after
 *   the reconnect (a commit is idempotent on resend), then fails rather than wait through a long
 *   outage. A commit that fails this way may or may not have been applied: the writer reloads its
 *   match book (`loadBook`) before detecting again.
 * - `commandTimeout: 5000`: a Redis that stalls (a long `DEBUG SLEEP`, a slow fork, a paused
 *   process) fails a command after 5 s instead of holding a REST request, a commit or a promotion
 *   for as long as the stall lasts (`/health` has its own 1 s bound per call). A timed-out command
 *   may still be applied later, and its late reply is matched to it (and dropped), never to another
 *   command, so nothing is mis-read; each user treats the timeout as an answer it does not know:
 *   the writer reloads its match book before detecting again (the reload is queued behind the
 *   commit, so it sees it if it landed), a lease acquisition that timed out gives back whatever it
 *   may have been granted, and a leader demotes itself on its own deadline whatever its renewals
 *   do (then gives back the lease a late renewal may have extended).
 * - The bus's reading connections override this with `maxRetriesPerRequest: 0`, and with a command
 *   timeout counted from the end of their blocking read (see `redis-bus.ts`).
 */
import type { RedisOptions } from 'ioredis';

export const REDIS_CLIENT_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  // A node must notice a dead connection to Redis (machine lost, cable pulled) within seconds.
  keepAlive: 5_000,
  connectTimeout: 5_000,
  commandTimeout: 5_000,
} satisfies RedisOptions);
