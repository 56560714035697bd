/**
 * The polling loop: fetch the live list, diff every match against what we knew, confirm matches
 * that vanished, record the events with the new states in one commit, then fan them out.
 * A failed poll changes nothing: the next good poll is diffed against the last good state.
 */
import { stampClocks } from '../domain/clock.js';
import type { StoredEvent } from '../domain/events.js';
import type { MatchSnapshot, MatchState } from '../domain/match.js';
import type { Result } from '../domain/result.js';
import { isLive, matchView, type MatchView } from '../domain/views.js';
import { detect, detectAbsent, type AbsenceOutcome, type Detection } from '../detect/diff.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventStore, PendingEvent } from '../store/types.js';
import type { UpstreamError } from '../upstream/errors.js';
import type { ParsedReply } from '../upstream/parse.js';
import type { SnapshotSource } from '../hub/hub.js';

/** What the poller needs from the provider client. */
export interface LiveFeed {
  livescore(): Promise<Result<ParsedReply, UpstreamError>>;
  fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>>;
}

export interface EventSink {
  publish(events: readonly StoredEvent[]): void;
}

export interface PollerOptions {
  readonly feed: LiveFeed;
  readonly store: EventStore;
  readonly sink: EventSink;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly pollIntervalMs: number;
  readonly pollIdleIntervalMs: number;
  readonly missingPollsBeforeEnd: number;
  readonly historyRetentionHours: number;
  /** Match seconds per wall-clock second for the match clock: `SIM_SPEED` on the built-in simulator. @default 1 */
  readonly clockSpeed?: number;
}

export type PollOutcome =
  | { readonly ok: true; readonly events: readonly StoredEvent[] }
  | { readonly ok: false; readonly error: UpstreamError };

/** How often old history is pruned. */
const PRUNE_EVERY_MS = 15 * 60 * 1000;

export class Poller implements SnapshotSource {
  private readonly states = new Map<string, MatchState>();
  /** Serialised form of each state as last saved, to write only states that changed. */
  private readonly saved = new Map<string, string>();
  /** When each ended match ended (ms), so it is forgotten after the retention period. */
  private readonly endedAt = new Map<string, number>();
  private appliedSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private lastFailure: string | undefined;
  private failureStreak = 0;
  private lastWarnings = '';
  private lastPruneAt = 0;
  /** Waiting for the next completed poll (tests wait on polls instead of sleeping). */
  private pollListeners: Array<(outcome: PollOutcome) => void> = [];

  constructor(private readonly options: PollerOptions) {}

  /**
   * Loads the stored state of every followed match: what a restart resumes from. With
   * `discardStates` (the states were recorded from another upstream) they are forgotten instead:
   * the same match ids on a different feed are different matches.
   */
  async init({ discardStates = false } = {}): Promise<void> {
    let states = await this.options.store.loadStates();
    if (discardStates && states.length > 0) {
      await this.options.store.commit({ events: [], states: [], forget: states.map((s) => s.matchId) });
      this.options.logger.warn(
        { matches: states.length },
        'stored match state was recorded from another upstream: following matches afresh (event history and epoch kept)',
      );
      states = [];
    }
    const now = Date.now();
    for (const state of states) {
      this.states.set(state.matchId, state);
      this.saved.set(state.matchId, JSON.stringify(state));
      if (state.ended) this.endedAt.set(state.matchId, now);
    }
    this.appliedSeq = (await this.options.store.bounds()).latestSeq;
    this.updateLiveGauge();
    if (states.length > 0) {
      this.options.logger.info(
        { matches: states.length, live: this.liveCount, seq: this.appliedSeq },
        'restored match state from the store',
      );
    }
  }

  get liveCount(): number {
    let live = 0;
    for (const state of this.states.values()) if (isLive(state)) live += 1;
    return live;
  }

  /** A listed match has not kicked off yet: poll at the live cadence so its start is seen on time. */
  private kickOffPending(): boolean {
    for (const state of this.states.values()) if (!state.started && !state.ended) return true;
    return false;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Stops polling and waits for the poll in flight, if any, to finish — at most `waitMs`.
   * Resolves `true` when no poll is running any more.
   */
  async stop(waitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const running = this.running;
    if (running === undefined) return true;
    let finished = false;
    const done = running.then(
      () => (finished = true),
      () => (finished = true),
    );
    if (waitMs === Number.POSITIVE_INFINITY) {
      await done;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return finished;
  }

  /** Resolves with the outcome of the next completed poll. */
  nextPoll(): Promise<PollOutcome> {
    return new Promise((resolve) => this.pollListeners.push(resolve));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const started = Date.now();
      const run = this.pollOnce().then(
        (outcome) => {
          // Idle cadence only after a good poll that showed nothing live or about to start; after a
          // failure the live cadence applies (the breaker and Retry-After do the backing off).
          const idle = outcome.ok && this.liveCount === 0 && !this.kickOffPending();
          const interval = idle ? this.options.pollIdleIntervalMs : this.options.pollIntervalMs;
          const retryAfter = outcome.ok ? 0 : (outcome.error.details.retryAfterMs ?? 0);
          this.schedule(Math.max(interval - (Date.now() - started), retryAfter));
        },
        (error: unknown) => {
          // pollOnce handles upstream failures itself; this is a bug or a store failure. Keep going.
          this.options.logger.error({ err: error }, 'poll crashed; retrying at the next interval');
          this.schedule(this.options.pollIntervalMs);
        },
      );
      this.running = run;
    }, delayMs);
  }

  /** One poll: fetch, detect, confirm vanished matches, commit, publish. */
  async pollOnce(): Promise<PollOutcome> {
    const { feed, logger, metrics } = this.options;
    const reply = await feed.livescore();
    if (!reply.ok) {
      this.reportFailure(reply.error);
      metrics?.polls.inc({ outcome: 'failed' });
      const outcome: PollOutcome = { ok: false, error: reply.error };
      this.notify(outcome);
      return outcome;
    }
    this.reportRecovery();
    const warnings = reply.value.warnings.join('\n');
    if (warnings !== '' && warnings !== this.lastWarnings) logger.warn({ warnings: reply.value.warnings }, 'upstream items skipped');
    this.lastWarnings = warnings;

    const detections: Array<{ matchId: string; detection: Detection }> = [];
    const seen = new Set<string>();
    for (const snapshot of reply.value.matches) {
      if (seen.has(snapshot.matchId)) continue;
      seen.add(snapshot.matchId);
      const detection = this.guarded(snapshot.matchId, () => detect(this.states.get(snapshot.matchId), snapshot));
      if (detection) detections.push({ matchId: snapshot.matchId, detection });
    }
    const vanished = [...this.states.values()].filter((state) => !seen.has(state.matchId) && !state.ended);
    const confirmations = await Promise.all(
      vanished.map(async (state) => ({ state, outcome: await this.confirmAbsence(state) })),
    );
    for (const { state, outcome } of confirmations) {
      const detection = this.guarded(state.matchId, () => detectAbsent(state, outcome, this.options.missingPollsBeforeEnd));
      if (detection) detections.push({ matchId: state.matchId, detection });
    }
    const stored = await this.commit(detections);
    metrics?.polls.inc({ outcome: 'ok' });
    await this.pruneIfDue();
    const outcome: PollOutcome = { ok: true, events: stored };
    this.notify(outcome);
    return outcome;
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

  private async confirmAbsence(state: MatchState): Promise<AbsenceOutcome> {
    if (!state.started) return { kind: 'unconfirmed' };
    const log = this.options.logger.child({ match_id: state.matchId });
    const lookup = await this.options.feed.fixture(state.matchId);
    if (!lookup.ok) {
      log.warn({ kind: lookup.error.kind, error: lookup.error.message }, 'match vanished from the live list; look-up failed');
      return { kind: 'unconfirmed' };
    }
    if (lookup.value === undefined) {
      log.info('match vanished from the live list; the provider does not know it');
      return { kind: 'unconfirmed' };
    }
    log.info({ status: lookup.value.status }, 'match vanished from the live list; looked it up');
    return { kind: 'found', snapshot: lookup.value };
  }

  private async commit(detections: ReadonlyArray<{ matchId: string; detection: Detection }>): Promise<StoredEvent[]> {
    const timestamp = new Date().toISOString();
    const events: PendingEvent[] = [];
    const states: MatchState[] = [];
    const forget: string[] = [];
    const serialised = new Map<string, string>();
    for (const { matchId, detection } of detections) {
      const { state } = detection;
      if (state === null) {
        if (this.states.has(matchId)) forget.push(matchId);
        continue;
      }
      for (const event of detection.events) {
        events.push({ event, timestamp, homeTeamKey: state.homeTeamKey, awayTeamKey: state.awayTeamKey });
      }
      const json = JSON.stringify(state);
      if (json !== this.saved.get(matchId)) {
        states.push(state);
        serialised.set(matchId, json);
      }
    }
    if (events.length === 0 && states.length === 0 && forget.length === 0) return [];
    // Match clock (issue 11): stamped here, not in detection, which has no clock.
    const clockSpeed = this.options.clockSpeed ?? 1;
    for (const id of stampClocks({ events, states }, (id) => this.states.get(id), new Date(timestamp), clockSpeed)) serialised.delete(id);
    // Written before anyone hears of it: a crash after this point replays nothing and loses nothing.
    const stored = await this.options.store.commit({ events, states, forget });
    const now = Date.now();
    for (const state of states) {
      if (state.ended && !this.endedAt.has(state.matchId)) this.endedAt.set(state.matchId, now);
      this.states.set(state.matchId, state);
      this.saved.set(state.matchId, serialised.get(state.matchId) ?? JSON.stringify(state));
    }
    for (const matchId of forget) this.forgetMatch(matchId);
    const last = stored.at(-1);
    if (last !== undefined) this.appliedSeq = last.seq;
    this.updateLiveGauge();
    for (const event of stored) {
      this.options.logger.info(
        { match_id: event.matchId, type: event.type, event_id: event.eventId, seq: event.seq },
        'event',
      );
    }
    this.options.sink.publish(stored);
    return stored;
  }

  private forgetMatch(matchId: string): void {
    this.states.delete(matchId);
    this.saved.delete(matchId);
    this.endedAt.delete(matchId);
  }

  private async pruneIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    const retentionMs = this.options.historyRetentionHours * 3_600_000;
    const deleted = await this.options.store.prune(new Date(now - retentionMs));
    for (const [matchId, endedAt] of this.endedAt) {
      if (now - endedAt > retentionMs) this.forgetMatch(matchId);
    }
    if (deleted > 0) this.options.logger.info({ deleted }, 'pruned old events');
  }

  private reportFailure(error: UpstreamError): void {
    this.failureStreak += 1;
    const signature = `${error.kind}:${error.message}`;
    const fields = { kind: error.kind, error: error.message, consecutive_failures: this.failureStreak };
    if (signature !== this.lastFailure) {
      // Logged once per change, not once per poll: a bad key must not flood the log.
      this.options.logger.warn(fields, 'poll failed; no events emitted');
      this.lastFailure = signature;
    } else {
      this.options.logger.debug(fields, 'poll failed again');
    }
  }

  private reportRecovery(): void {
    if (this.lastFailure !== undefined) {
      this.options.logger.info({ after_failures: this.failureStreak }, 'upstream recovered');
    }
    this.lastFailure = undefined;
    this.failureStreak = 0;
  }

  private notify(outcome: PollOutcome): void {
    const listeners = this.pollListeners;
    this.pollListeners = [];
    for (const listener of listeners) listener(outcome);
  }

  private updateLiveGauge(): void {
    this.options.metrics?.liveMatches.set(this.liveCount);
  }

  snapshot(accepts: (match: MatchState) => boolean): { seq: number; matches: MatchView[] } {
    const matches: MatchView[] = [];
    for (const state of this.states.values()) {
      if (isLive(state) && accepts(state)) matches.push(matchView(state));
    }
    matches.sort((a, b) => a.start_time.localeCompare(b.start_time) || a.match_id.localeCompare(b.match_id));
    return { seq: this.appliedSeq, matches };
  }

  /** One followed match (live, or ended within the retention period). */
  match(matchId: string): MatchState | undefined {
    return this.states.get(matchId);
  }
}
