/**
 * Starting a subscription: SUBSCRIBED, a SNAPSHOT when asked (or when a resume is refused), then a
 * replay of the stored events after the client's position (`readAll`), then live delivery. Live
 * events published meanwhile wait in the client's backlog and are sent, deduplicated by seq, in the
 * same synchronous step that makes the client live, so nothing falls between replay and fan-out.
 * Replays are paced by the client: the next page is read once the last one has left.
 */
import type { Routing } from '../domain/event-filter.js';
import type { MatchView } from '../domain/views.js';
import { CloseCode, ErrorCode, errorFrame, type Filter, type ServerMessage } from '../domain/protocol.js';
import type { Metrics } from '../metrics.js';
import { readAll } from '../store/read-all.js';
import type { EventStore, HistoryBounds } from '../store/types.js';
import { beginUnit, drained, type Client } from './client.js';
import { OutboundFrame } from './connection.js';
import type { Outbound } from './outbound.js';
import { idCount, snapshotFilter, toSubscription, type Subscription, type SubscriptionIndex } from './subscription-index.js';

/** Events read per step while replaying history to a resuming client. */
const REPLAY_PAGE = 500;

/** Where snapshots come from: the poller's view of every followed match. */
export interface SnapshotSource {
  /**
   * Live matches that pass `accepts`, the newest `seq` their state reflects, and the history that
   * seq counts in (`undefined`: the source does not say, or the book is empty).
   */
  snapshot(accepts: (match: Routing) => boolean): { epoch?: string | undefined; seq: number; matches: MatchView[] };
}

/** How a subscription wants to start (the `since`, `epoch` and `snapshot` of a subscribe). */
export interface ResumeRequest {
  readonly since: number | undefined;
  readonly epoch: string | undefined;
  readonly snapshot: boolean;
}

export interface ReplayOptions {
  readonly store: EventStore;
  readonly snapshots: SnapshotSource;
  readonly index: SubscriptionIndex;
  readonly outbound: Outbound;
  readonly metrics?: Metrics | undefined;
  /** The current `UPSTREAM_STATUS` frame, sent right after every `SUBSCRIBED` (none before the first status is known). */
  readonly upstreamStatus?: () => OutboundFrame | undefined;
}

export class Replay {
  constructor(private readonly options: ReplayOptions) {}

  /** Subscribes the client to `filter` (replacing what it had), resuming as asked; resolves once live. */
  async start(client: Client, filter: Filter, resume: ResumeRequest): Promise<void> {
    const { index, outbound, store } = this.options;
    const subscription = toSubscription(filter);
    const refusal = index.refusal(idCount(subscription), idCount(client.subscription));
    if (refusal !== undefined) {
      // Refused before anything changes: the client keeps the subscription it had, if any.
      this.options.metrics?.clientErrors.inc({ code: ErrorCode.InvalidFilter });
      outbound.sendText(client, errorFrame({ code: ErrorCode.InvalidFilter, message: refusal }), 'ERROR');
      return;
    }
    const generation = ++client.generation;
    // Index first with `replaying` set: live events from here on wait in the backlog until the replay ends.
    index.remove(client);
    client.subscription = subscription;
    client.replaying = true;
    client.backlog = [];
    index.add(client);

    const bounds = await store.bounds();
    if (client.closed || generation !== client.generation) return;
    client.epoch = bounds.epoch;
    const { since } = resume;
    const resumable =
      since !== undefined && resume.epoch === bounds.epoch && since <= bounds.latestSeq && since >= bounds.prunedThrough;
    const subscribed: ServerMessage = {
      type: 'SUBSCRIBED',
      subscription: subscription.kind === 'all' ? 'all_matches' : 'filtered',
      epoch: bounds.epoch,
      seq: bounds.latestSeq,
      ...(since !== undefined ? { resumed: resumable } : {}),
      ...(subscription.kind === 'filtered'
        ? { filter: { match_ids: subscription.matchIds, league_ids: subscription.leagueIds, team_ids: subscription.teamIds } }
        : {}),
    };
    // The position a transport may record for this frame (SSE's `id:`): where the stream starts,
    // unless a SNAPSHOT follows and sets it.
    const startsAt = resumable ? since : since !== undefined || resume.snapshot ? undefined : bounds.latestSeq;
    outbound.sendText(client, JSON.stringify(subscribed), 'SUBSCRIBED', startsAt);
    const status = this.options.upstreamStatus?.();
    if (status !== undefined) outbound.sendShared(client, status);

    let from: number;
    if (resumable) {
      from = since;
    } else if (since !== undefined || resume.snapshot) {
      // A resubscribe on a busy connection: the SNAPSHOT waits for what is queued (live events wait in the backlog).
      await drained(client);
      if (client.closed || generation !== client.generation) return;
      from = this.sendSnapshot(client, subscription, 'start');
    } else {
      from = bounds.latestSeq;
    }
    if (resumable && resume.snapshot) this.sendSnapshot(client, subscription, 'aside');
    if (client.closed) return;
    client.lastSentSeq = from;
    await this.catchUp(client, generation, bounds);
  }

  /**
   * Sends a SNAPSHOT as a unit of its own: one message, exempt from the cap while it drains, and
   * returns the client's position after it. `how`: `start` (a subscription starting from it: the
   * position moves to its seq), `aside` (a resume that also asked for one: the position stays),
   * `again` (mid-stream: the `snapshot` action, or history pruned under a replay: the position moves).
   *
   * It is of the history the client's SUBSCRIBED named. This process's book may be of another one:
   * a shared store began a new history that this process has not noticed yet (it closes every
   * client when it does, `app/history-reset.ts`). Cutting the SNAPSHOT from that book would carry
   * the old history's seq into the new epoch: the new history's first events would be skipped as
   * already sent, and a later resume from that seq accepted with them missing. So a subscription
   * that starts gets the new history's start instead (no match, seq 0; the replay that follows
   * brings every event of it), and a client further along is closed to resume (1001, `history_reset`).
   */
  sendSnapshot(client: Client, subscription: Subscription, how: 'start' | 'aside' | 'again'): number {
    const { outbound } = this.options;
    const book = this.options.snapshots.snapshot(snapshotFilter(subscription));
    const otherHistory = book.epoch !== undefined && client.epoch !== undefined && book.epoch !== client.epoch;
    if (otherHistory && how !== 'start') {
      outbound.close(client, CloseCode.GoingAway, 'history_reset');
      return client.lastSentSeq;
    }
    const { seq, matches } = otherHistory ? { seq: 0, matches: [] } : book;
    const advance = how !== 'aside';
    beginUnit(client, false);
    outbound.sendText(client, JSON.stringify({ type: 'SNAPSHOT', seq, matches } satisfies ServerMessage), 'SNAPSHOT', advance ? seq : undefined);
    outbound.scheduleBudgetCheck();
    return advance ? seq : client.lastSentSeq;
  }

  /**
   * Replays stored events after `client.lastSentSeq` until none are left, then goes live. The pace
   * is the client's: each page is read once the one before has been handed to the network, so at
   * most one page is unsent, and it is a unit (exempt from the cap while it drains) however large.
   */
  private async catchUp(client: Client, generation: number, bounds: HistoryBounds): Promise<void> {
    const { outbound, store } = this.options;
    const subscription = client.subscription;
    if (subscription === undefined) return;
    const filter = subscription.kind === 'all' ? {} : subscription;
    await drained(client);
    if (client.closed || generation !== client.generation) return;
    // Up to the bounds read after the client was indexed: anything committed after them is published
    // after that too, so it reaches the client live or through its backlog. A new subscriber (and a
    // resume that missed nothing) reads nothing at all.
    for await (const page of readAll(store, { ...filter, since: client.lastSentSeq, pageSize: REPLAY_PAGE, bounds, until: bounds.latestSeq })) {
      if (client.closed || generation !== client.generation) return;
      if (page.skipped) {
        // History was pruned under a long replay: fall back to a snapshot rather than leave a gap.
        client.lastSentSeq = this.sendSnapshot(client, subscription, 'again');
        if (client.closed) return;
        await drained(client);
        if (client.closed || generation !== client.generation) return;
      }
      beginUnit(client, false);
      for (const event of page.events) {
        if (event.seq <= client.lastSentSeq) continue;
        outbound.deliver(client, new OutboundFrame(event.json, event.type, event.seq), event.seq);
        if (client.closed) return;
      }
      outbound.scheduleBudgetCheck();
      await drained(client);
      if (client.closed || generation !== client.generation) return;
    }
    // Events published while the replay ran are in the backlog (a store may answer from a snapshot
    // taken before they were committed); send those the replay did not cover, in the same
    // synchronous step that makes the client live, so nothing falls between the two.
    client.replaying = false;
    const backlog = client.backlog;
    client.backlog = [];
    beginUnit(client, true);
    for (const { frame, seq } of backlog) {
      if (seq <= client.lastSentSeq) continue;
      outbound.deliver(client, frame, seq);
      if (client.closed) return;
    }
  }
}
