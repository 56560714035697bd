/**
 * The single writer. Sources (the polling loop, later the provider's push feed) only produce
 * observations; the ingestor diffs them against the match book, commits the events with the new
 * states in one store commit, updates the book and publishes the committed batch on the bus — one
 * batch at a time, through a queue, so a push arriving while a poll is being committed is diffed
 * against the state that commit left, never against a stale copy.
 *
 * Newest observation wins: each batch says when it was observed (a poll: when its request began; a
 * push: when the frame arrived), and a match is never rolled back by an observation older than the
 * one last applied to it.
 */
import { stampClocks } from '../domain/clock.js';
import type { StoredEvent } from '../domain/events.js';
import type { MatchState } from '../domain/match.js';
import type { MatchSnapshot } from '../upstream/provider.js';
import { detect, detectAbsent, type AbsenceOutcome, type Detection } from '../detect/diff.js';
import { phaseRank } from '../detect/phase.js';
import { minuteSortKey } from '../detect/minute.js';
import type { EventBus } from '../bus/types.js';
import { StoreError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FencedError, type EventStore, type PendingEvent } from '../store/types.js';
import type { MatchBook } from './match-book.js';

/** Matches as one source saw them at one moment. */
export interface ObservationBatch {
  readonly matches: readonly MatchSnapshot[];
  /** When the observation was made (ms): a poll's request start, a push frame's arrival. */
  readonly observedAt: number;
  /**
   * The full live list (a successful Livescore poll): a followed match missing from it is absent,
   * and `absences` says what a look-up learnt about it. A push lists only what changed: never complete.
   */
  readonly complete: boolean;
  /** Look-up outcomes for matches missing from a complete list (missing entries: unconfirmed). */
  readonly absences?: ReadonlyMap<string, AbsenceOutcome>;
  /** Where the observation came from (metrics and logs). */
  readonly source: 'poll' | 'push';
}

/** Defined in the error catalogue (src/errors.ts). */
export { StoreError };

export type IngestOutcome =
  | { readonly ok: true; readonly events: readonly StoredEvent[] }
  | { readonly ok: false; readonly error: StoreError };

export interface IngestorOptions {
  readonly book: MatchBook;
  readonly store: EventStore;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly missingPollsBeforeEnd: number;
  readonly historyRetentionHours: number;
  /** Match seconds per wall-clock second for the match clock: `SIM_SPEED` on the built-in simulator. @default 1 */
  readonly clockSpeed?: number;
  /** The writer's fencing token, carried by every commit (scale-out); absent: unfenced. */
  readonly fence?: () => string | undefined;
  /** Called once when the store refuses a commit because this process is no longer the writer. */
  readonly onFenced?: () => void;
}

/** How often old history is pruned. */
const PRUNE_EVERY_MS = 15 * 60 * 1000;

export class Ingestor {
  private queue: Promise<unknown> = Promise.resolve();
  /** When the observation last applied to each match was made (newest observation wins). */
  private readonly observedAt = new Map<string, number>();
  private lastPruneAt = 0;
  private stopped = false;
  /** A commit failed without a clear answer (a networked store may have applied it): reload the book first. */
  private bookInDoubt = false;

  constructor(private readonly options: IngestorOptions) {}

  /** Queues a batch; resolves once it is committed and published (or refused). */
  ingest(batch: ObservationBatch): Promise<IngestOutcome> {
    const run = this.queue.then(() => this.process(batch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** When the observation last applied to a match was made (0: never). */
  lastObservedAt(matchId: string): number {
    return this.observedAt.get(matchId) ?? 0;
  }

  /** Stops accepting batches; resolves when the batch in progress is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  private async process(batch: ObservationBatch): Promise<IngestOutcome> {
    if (this.stopped) return { ok: true, events: [] };
    const { book, logger, metrics } = this.options;
    if (this.bookInDoubt) {
      try {
        book.load(await this.options.store.loadBook());
        this.bookInDoubt = false;
      } catch (error) {
        return { ok: false, error: new StoreError(`store unavailable: ${error instanceof Error ? error.message : String(error)}`, { cause: error }) };
      }
    }
    const detections: Array<{ matchId: string; detection: Detection }> = [];
    const seen = new Set<string>();
    for (const snapshot of batch.matches) {
      if (seen.has(snapshot.matchId)) continue;
      seen.add(snapshot.matchId);
      if (this.lastObservedAt(snapshot.matchId) > batch.observedAt) {
        // A slow poll that began before a push already applied to this match: it must not roll it back.
        metrics?.staleObservations.inc({ source: batch.source });
        continue;
      }
      const previous = book.get(snapshot.matchId);
      if (batch.source === 'push' && previous !== undefined && isBehind(previous, snapshot)) {
        metrics?.staleObservations.inc({ source: batch.source });
        logger.debug({ match_id: snapshot.matchId, status: snapshot.statusText, known: previous.status }, 'out-of-order push ignored');
        continue;
      }
      const detection = this.guarded(snapshot.matchId, () => detect(previous, snapshot));
      if (detection) detections.push({ matchId: snapshot.matchId, detection });
    }
    if (batch.complete) {
      for (const state of book.values()) {
        if (seen.has(state.matchId) || state.ended) continue;
        // Observed by a push after this list was requested: the push is newer than this absence.
        if (this.lastObservedAt(state.matchId) > batch.observedAt) continue;
        const outcome = batch.absences?.get(state.matchId) ?? { kind: 'unconfirmed' };
        const detection = this.guarded(state.matchId, () =>
          detectAbsent(state, outcome, this.options.missingPollsBeforeEnd),
        );
        if (detection) detections.push({ matchId: state.matchId, detection });
      }
    }
    let stored: StoredEvent[];
    try {
      stored = await this.commit(detections);
    } catch (error) {
      if (error instanceof FencedError) {
        this.stopped = true;
        logger.warn('commit refused: this process is no longer the writer; nothing was published');
        this.options.onFenced?.();
        return { ok: false, error: new StoreError(error.message, { cause: error }) };
      }
      const message = error instanceof Error ? error.message : String(error);
      // Detection goes on from what the store holds, whether or not this commit landed.
      this.bookInDoubt = true;
      logger.error({ err: error, source: batch.source }, 'store commit failed; nothing was published, the changes are retried with the next observation');
      return { ok: false, error: new StoreError(`store commit failed: ${message}`, { cause: error }) };
    }
    for (const { matchId } of detections) this.observedAt.set(matchId, batch.observedAt);
    if (batch.complete) await this.pruneIfDue();
    return { ok: true, events: stored };
  }

  /**
   * Runs detection for one match. Should it throw (a detector bug meeting data nobody foresaw),
   * that match keeps its last state and the others go on: one match must never stop the feed.
   */
  private guarded(matchId: string, run: () => Detection): Detection | undefined {
    try {
      return run();
    } catch (error) {
      this.options.logger.error({ match_id: matchId, err: error }, 'detection failed for this match; keeping its last state');
      return undefined;
    }
  }

  private async commit(detections: ReadonlyArray<{ matchId: string; detection: Detection }>): Promise<StoredEvent[]> {
    const { book, store, bus, logger } = this.options;
    const timestamp = new Date().toISOString();
    const events: PendingEvent[] = [];
    const states: Array<{ state: MatchState; json: string }> = [];
    const forget: string[] = [];
    for (const { matchId, detection } of detections) {
      const { state } = detection;
      if (state === null) {
        if (book.get(matchId) !== undefined) forget.push(matchId);
        continue;
      }
      for (const event of detection.events) {
        events.push({ event, timestamp, homeTeamKey: state.homeTeamKey, awayTeamKey: state.awayTeamKey });
      }
      const json = JSON.stringify(state);
      if (json !== book.savedJson(matchId)) states.push({ state, json });
    }
    if (events.length === 0 && states.length === 0 && forget.length === 0) return [];
    // Match clock (issue 11): stamped at commit, not in detection, which has no clock.
    const stateList = states.map((s) => s.state);
    const stamped = new Set(stampClocks({ events, states: stateList }, (id) => book.get(id), new Date(timestamp), this.options.clockSpeed ?? 1));
    stateList.forEach((state, index) => {
      if (stamped.has(state.matchId)) states[index] = { state, json: JSON.stringify(state) };
    });
    const fence = this.options.fence?.();
    // Written before anyone hears of it: a crash after this point replays nothing and loses nothing.
    const stored = await store.commit({
      events,
      states: states.map((s) => s.state),
      forget,
      ...(fence === undefined ? {} : { fence }),
    });
    const seq = stored.at(-1)?.seq ?? book.seq;
    book.apply(states, forget, seq);
    for (const event of stored) {
      // Counted once, by the writer: every process's hub fans the event out, only one recorded it.
      this.options.metrics?.events.inc({ type: event.type });
      logger.info({ match_id: event.matchId, type: event.type, event_id: event.eventId, seq: event.seq }, 'event');
    }
    bus.publish({ events: stored, seq, statesChanged: states.length > 0 || forget.length > 0 });
    return stored;
  }

  private async pruneIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const retentionMs = this.options.historyRetentionHours * 3_600_000;
    try {
      const deleted = await this.options.store.prune(new Date(now - retentionMs));
      this.options.book.forgetEndedBefore(retentionMs, now);
      for (const matchId of this.observedAt.keys()) {
        if (this.options.book.get(matchId) === undefined) this.observedAt.delete(matchId);
      }
      if (deleted > 0) this.options.logger.info({ deleted }, 'pruned old events');
    } catch (error) {
      this.options.logger.error({ err: error }, 'pruning old events failed; retried at the next interval');
    }
  }
}

/**
 * An out-of-order push: its phase, or within the same phase its minute, is behind what was already
 * applied to the match. Phases without a rank (finished, postponed …) are left to the detector.
 */
export function isBehind(state: MatchState, snapshot: MatchSnapshot): boolean {
  const reported = snapshot.phase;
  const reportedRank = phaseRank(reported);
  const knownRank = phaseRank(state.phase);
  if (reportedRank === undefined || knownRank === undefined) return false;
  if (reportedRank !== knownRank) return reportedRank < knownRank;
  if (snapshot.minute === null || state.minute === undefined || state.minute === null) return false;
  const reportedMinute = minuteSortKey(snapshot.minute);
  const knownMinute = minuteSortKey(state.minute);
  // Texts that are not minutes sort last: only two real minutes are compared.
  if (reportedMinute === Number.MAX_SAFE_INTEGER || knownMinute === Number.MAX_SAFE_INTEGER) return false;
  return reportedMinute < knownMinute;
}
