/**
 * The bus between nodes on Redis: every node reads the store's event stream (see
 * `store/redis-keys.ts`) from the last entry it delivered, so a blip in its connection loses
 * nothing, rather than relying on fire-and-forget pub/sub.
 *
 * `publish` is a no-op: the commit script that appends to the stream IS the publication, atomic with
 * the write and fenced like it, so nothing can be published that was not committed. The writer's own
 * subscribers read the stream like everyone else's (one round trip later).
 *
 * Each subscription reads with `XREAD BLOCK` on its own connection (`redis.duplicate()`; a blocking
 * read would stall every other command on a shared one). After every read it checks, on the same
 * connection, that the history is still the one it was reading (the epoch) and still retained from
 * where it is (`prunedThrough`); if not, it tells the subscriber through `onReset` (so it can
 * resnapshot) and carries on from the new position, never skipping silently.
 *
 * Every entry is checked before it reaches a subscriber (`parseStreamEntry`): one the commit script
 * did not write (an `XADD` by hand, an entry ahead of the sequence counter, damaged fields) is
 * dropped and reported through `onInvalidEntry`, never relayed: its JSON would go to clients
 * verbatim and move their position. The read position does not move past a dropped entry, so the
 * history that goes on below it after a repair (`XDEL` + `XSETID`) is still read; until then, the
 * next read waits past the dropped entry rather than spin on it.
 *
 * Batches follow the stream, not the commits one to one: one batch holds every event read up to the
 * next states marker (a commit that saved or forgot match states), and such a batch carries
 * `statesChanged: true` with the seq the states reflect. Subscribing from a seq re-reads the markers
 * written at that seq, so a subscriber may see one `statesChanged` for a states commit it already
 * knew of (a spare refresh of its book), never miss one.
 */
import type { Redis } from 'ioredis';
import type { StoredEvent } from '../domain/events.js';
import { defineScript, HEAD_LUA, headFromReply, parseStreamEntry, redisKeys, type InvalidEntry, type RedisKeys } from '../store/redis-keys.js';
import { OrderedBus, type BusSubscription } from './ordered-bus.js';
import type { BusReset, CommittedBatch } from './types.js';

export { BusResetUnhandledError, type BusReset } from './types.js';

export interface RedisBusOptions {
  /** The ioredis client; each subscription uses its own `duplicate()`. The bus never closes `redis`. */
  readonly redis: Redis;
  /** Key prefix, the same as the store's (`REDIS_PREFIX`). */
  readonly prefix: string;
  /** Longest a read blocks before re-checking the epoch (catches a FLUSHALL without a reconnect). @default 5000 */
  readonly blockMs?: number;
  /** Most stream entries read at once. @default 1000 */
  readonly count?: number;
  /** Default reset handler; a subscription with none stops (reporting to `onError`) rather than skip. */
  readonly onReset?: (reset: BusReset) => void;
  /** Read failures (it keeps retrying) and exceptions thrown by subscribers. */
  readonly onError?: (error: Error) => void;
  /** Told once per subscription of each stream entry it dropped as not a valid event (metrics, log). */
  readonly onInvalidEntry?: (entry: InvalidEntry) => void;
}

type XReadReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;

export class RedisBus extends OrderedBus {
  private readonly keys: RedisKeys;
  private readonly blockMs: number;
  private readonly count: number;
  /** Each subscription's own connection (a blocking read would stall every other command on a shared one). */
  private readonly connections = new Map<BusSubscription, Redis>();

  constructor(private readonly options: RedisBusOptions) {
    // No store: the stream read from the subscription's position brings every event itself.
    super({ onReset: options.onReset, onError: options.onError });
    this.keys = redisKeys(options.prefix);
    this.blockMs = options.blockMs ?? 5_000;
    this.count = options.count ?? 1_000;
  }

  /** No-op: the store's commit appended the batch to the stream every node reads. */
  protected transmit(_batch: CommittedBatch): void {
    return;
  }

  protected override opened(subscription: BusSubscription): void {
    // maxRetriesPerRequest 0: a read in flight when the connection drops fails at once (it is not
    // queued or resent by the client), and this loop decides where to read from once Redis is back:
    // after the last entry it delivered. A client command timeout shorter than the blocking read
    // would fail every quiet read: here it counts from the end of the block. A read that times out
    // all the same (Redis stalled) moves nothing: the position advances only on delivery, and the
    // late reply is matched to the timed-out command by the client, never to a later one.
    const base = this.options.redis.options.commandTimeout;
    const connection = this.options.redis.duplicate({
      maxRetriesPerRequest: 0,
      commandTimeout: base === undefined ? undefined : this.blockMs + base,
    });
    // The connection's errors are the read loop's to handle; ioredis reconnects by itself.
    connection.on('error', () => undefined);
    this.connections.set(subscription, connection);
    void this.run(subscription, connection);
  }

  protected override ended(subscription: BusSubscription): void {
    this.connections.get(subscription)?.disconnect();
    this.connections.delete(subscription);
  }

  private async run(subscription: BusSubscription, connection: Redis): Promise<void> {
    // A script rather than MULTI: it still runs on a Redis at maxmemory (see the store).
    const readHead = defineScript(connection, 'fscStoreHead', HEAD_LUA);
    let lastSeq = subscription.position.seq;
    let lastId = `${lastSeq}-0`;
    let epoch = subscription.position.epoch;
    let failures = 0;
    /** The newest entry dropped as invalid: the next read waits past it (see the class doc). */
    let droppedId: string | undefined;
    /** The newest invalid entry reported: one re-read after a quiet wait is not reported again. */
    let reportedId: string | undefined;
    while (subscription.active) {
      try {
        if (connection.status !== 'ready') {
          if (connection.status === 'wait') void connection.connect().catch((error: unknown) => this.report(error));
          await untilReady(connection);
          continue;
        }
        const waitPast = droppedId !== undefined && compareEntryIds(droppedId, lastId) > 0 ? droppedId : undefined;
        const reply = (await connection.xread('COUNT', this.count, 'BLOCK', this.blockMs, 'STREAMS', this.keys.events, waitPast ?? lastId)) as XReadReply;
        // Checked after the read: entries of a history that changed under the read are not
        // delivered, and every entry the commit script wrote is within the counter read here.
        const head = headFromReply(await readHead([this.keys.epoch, this.keys.head], []), this.keys);
        if (!subscription.active) return;
        failures = 0;
        const currentEpoch = head.epoch;
        const headSeq = head.seq;
        const prunedThrough = head.pruned;
        // A history that did not exist yet when we started (nothing delivered) is ours, not a change.
        const adopted = epoch === null && lastSeq === 0 && lastId === '0-0';
        let reset: BusReset | undefined;
        if (currentEpoch !== epoch && !adopted) reset = { reason: 'epoch-changed', epoch: currentEpoch, seq: 0 };
        else if (prunedThrough > lastSeq) reset = { reason: 'too-old', epoch: currentEpoch, seq: prunedThrough };
        epoch = currentEpoch;
        if (reset !== undefined) {
          lastSeq = reset.seq;
          lastId = `${reset.seq}-0`;
          droppedId = undefined;
          reportedId = undefined;
          if (!this.reset(subscription, reset)) return;
          continue;
        }
        const entries = reply?.[0]?.[1] ?? [];
        // A quiet wait past a dropped entry: read from the delivered position again (a repair may
        // have put the history back below it).
        if (entries.length === 0 && waitPast !== undefined) droppedId = undefined;
        let events: StoredEvent[] = [];
        const deliver = (batch: CommittedBatch) => this.offer(subscription, batch);
        for (const [id, fields] of entries) {
          if (!subscription.active) return;
          const entry = parseStreamEntry(id, fields, headSeq);
          if (entry.kind === 'invalid') {
            droppedId = id;
            if (reportedId === undefined || compareEntryIds(id, reportedId) > 0) {
              reportedId = id;
              this.options.onInvalidEntry?.({ id, reason: entry.reason });
            }
            continue;
          }
          if (compareEntryIds(id, lastId) <= 0) continue;
          lastId = id;
          lastSeq = entry.seq;
          if (entry.kind === 'event') {
            events.push(entry.event);
          } else {
            deliver({ events, seq: lastSeq, statesChanged: true });
            events = [];
          }
        }
        if (events.length > 0) deliver({ events, seq: lastSeq, statesChanged: false });
      } catch (error) {
        if (!subscription.active) return;
        this.report(error);
        failures += 1;
        // Back off while Redis is away (ioredis reconnects meanwhile); the read resumes from lastId.
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** failures, 1_000)));
      }
    }
  }
}

/** Orders two stream entry ids (`<ms>-<n>`, both parts unbounded decimal integers). */
function compareEntryIds(a: string, b: string): number {
  const [aMs = '', aSeq = ''] = a.split('-');
  const [bMs = '', bSeq = ''] = b.split('-');
  const byNumber = (x: string, y: string) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0);
  return byNumber(aMs, bMs) || byNumber(aSeq, bSeq);
}

/** Resolves when the connection is ready again, or after a while (the caller re-checks). */
function untilReady(connection: Redis): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      connection.off('ready', done);
      connection.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, 1_000);
    connection.once('ready', done);
    connection.once('end', done);
  });
}
