/**
 * The hub's own record of one connected client, and the backpressure arithmetic over it. Only the
 * hub's modules hold a `Client`: a transport binding holds the `Session` that `Hub.opened` returns.
 *
 * Backpressure: a client is closed as a slow consumer (4008) when what it has failed to read passes
 * `slowConsumerBytes`, not when one piece handed to it is larger: a SNAPSHOT, a replay page or a
 * poll's batch is a *unit*, and one unit at a time is exempt while it drains (`exemptBytes`).
 */
import type { Logger } from '../log.js';
import type { OutboundFrame, Connection } from './connection.js';
import type { TokenBucket } from './rate-limit.js';
import type { Subscription } from './subscription-index.js';

/** One connected client. Created by `Hub.opened`; its fields are the hub's to change. */
export class Client {
  subscription: Subscription | undefined = undefined;
  /** Highest `seq` delivered (or deliberately skipped) to this client. */
  lastSentSeq = 0;
  /** The history its `SUBSCRIBED` named (`undefined` before the first): a SNAPSHOT must be of the same one. */
  epoch: string | undefined = undefined;
  /** History is being replayed: live events wait in `backlog` until the replay catches up. */
  replaying = false;
  /** Live events published during the replay, sent (deduplicated by seq) when it ends. */
  backlog: Array<{ frame: OutboundFrame; seq: number }> = [];
  /** Bumped on every subscribe, so a superseded replay stops. */
  generation = 0;
  closed = false;
  badMessages = 0;
  /**
   * Backpressure accounting (see `exemptBytes`). `written`: the bytes of this client's stream so
   * far, as its connection's `bufferedAmount` counts them, so the unsent ones are the last
   * `bufferedAmount` of them. A *unit* is what the hub hands over in one piece (a SNAPSHOT, a replay
   * page, one fan-out batch); `[candidateStart, written)` is the latest, `[unitStart, unitEnd)` the
   * one exempt from the cap (`unitEnd` is `Infinity` while it is also the latest). `*Shared`: the
   * unit is made of frames every client shares (a live batch), so the instance budget skips it.
   */
  written = 0;
  candidateStart = 0;
  candidateShared = false;
  unitStart = 0;
  unitEnd = 0;
  unitShared = false;
  /** The fan-out batch in which this client's latest unit began (filtered clients begin it on their first event of a batch). */
  unitBatch = 0;
  /** Serialises message handling, so replies keep the order of requests. */
  pending: Promise<void> = Promise.resolve();

  private childLogger: Logger | undefined = undefined;

  constructor(
    readonly id: number,
    readonly connection: Connection,
    readonly bucket: TokenBucket,
    private readonly parentLogger: Logger,
    private readonly bindings: Readonly<Record<string, unknown>> = {},
  ) {}

  /**
   * This client's logger (bound to its id), built on first use: most connections never log, and
   * an eager pino child costs ~0.5 KiB and measurable CPU per connection at 100k connections.
   */
  get logger(): Logger {
    return (this.childLogger ??= this.parentLogger.child({ ...this.bindings, client_id: this.id }));
  }
}

/**
 * Begins a unit: what is written to the client from now until the next unit begins is the latest
 * unit. If the exempt unit was the latest so far, it ends here.
 */
export function beginUnit(client: Client, shared: boolean): void {
  if (client.unitEnd === Infinity) client.unitEnd = client.written;
  client.candidateStart = client.written;
  client.candidateShared = shared;
}

/**
 * How many of the client's `buffered` (unsent) bytes are exempt from the cap: those of one unit,
 * the exempt one or the latest, whichever has more bytes unsent (the latest then becomes the
 * exempt one, and what is left of the other counts). Bytes leave in the order they were written,
 * so the unsent ones are the last `buffered` of `written`. One unit at a time: a client that does
 * not read is closed once what it holds beyond one unit passes the cap; a client that reads a
 * large SNAPSHOT slowly keeps it exempt while small batches queue behind it.
 */
export function exemptBytes(client: Client, buffered: number): number {
  const { written } = client;
  const drainedTo = written - buffered;
  const from = Math.max(client.unitStart, drainedTo);
  const to = Math.min(client.unitEnd, written);
  const exempt = to > from ? to - from : 0;
  if (client.unitEnd === Infinity) return exempt;
  const latest = written - Math.max(client.candidateStart, drainedTo);
  if (latest <= exempt) return exempt;
  client.unitStart = client.candidateStart;
  client.unitEnd = Infinity;
  client.unitShared = client.candidateShared;
  return latest;
}

/**
 * Resolves once the client's connection has sent what it had queued (at once when it is not
 * `draining`), or has closed: a replay reads its next page, and a SNAPSHOT is written, only then.
 */
export function drained(client: Client): Promise<void> {
  if (client.closed || !client.connection.draining) return Promise.resolve();
  return new Promise((resolve) => client.connection.onceDrained(resolve));
}
