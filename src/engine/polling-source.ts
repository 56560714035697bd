/**
 * The polling loop: fetch the live list, look up followed matches that vanished from it, and hand
 * the whole observation to the ingestor. Adaptive cadence (live / idle), and a failed poll changes
 * nothing: the next good poll is diffed against the last good state.
 *
 * Look-ups are bounded: a few at a time, a budget per poll, the rest carried over to the next polls
 * in turn (a match not looked up on a poll is not counted absent on it, so it is never ended
 * unconfirmed for want of a look-up). Two thousand matches leaving the list at once cost the
 * provider key `lookupsPerPoll` requests a poll, not two thousand.
 */
import type { StoredEvent } from '../domain/events.js';
import type { AbsenceOutcome } from '../detect/diff.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { UpstreamError, UpstreamFailureKind } from '../upstream/errors.js';
import type { LiveFeed } from '../upstream/provider.js';
import type { Ingestor, StoreError } from './ingestor.js';
import type { MatchBook } from './match-book.js';

/** Look-ups of vanished matches in flight at once, by default (`VANISHED_LOOKUP_CONCURRENCY`). */
export const DEFAULT_LOOKUP_CONCURRENCY = 4;
/** Look-ups of vanished matches per poll, by default (`VANISHED_LOOKUPS_PER_POLL`). */
export const DEFAULT_LOOKUPS_PER_POLL = 20;
/** Refusals after which the poll starts no further look-up: asking again now only spends the key. */
const STOP_LOOKUPS_ON: ReadonlySet<UpstreamFailureKind> = new Set(['rate_limited', 'quota', 'auth']);

/** What the polling loop needs from the provider client (the provider contract's `LiveFeed`). */
export type { LiveFeed } from '../upstream/provider.js';

export interface PollingSourceOptions {
  readonly feed: LiveFeed;
  readonly ingestor: Ingestor;
  readonly book: MatchBook;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly pollIntervalMs: number;
  readonly pollIdleIntervalMs: number;
  /**
   * A cadence that replaces the live/idle one while it returns a number (push mode polls only to
   * reconcile while the push feed is healthy).
   */
  readonly intervalOverride?: () => number | undefined;
  /**
   * The shortest interval the provider's request budget allows now (API-Football: the day's quota
   * spread until it resets); the cadence is never faster. Absent: no budget.
   */
  readonly minIntervalMs?: () => number;
  /** Called after every poll, good or failed. */
  readonly onPolled?: (outcome: PollOutcome) => void;
  /** Look-ups of vanished matches in flight at once. @default 4 */
  readonly lookupConcurrency?: number;
  /**
   * Look-ups of vanished matches started per poll; the other vanished matches wait for later polls,
   * longest-waiting first. A poll also starts no new look-up (beyond its first `lookupConcurrency`)
   * once its look-ups have run for a live interval, so they never hold a poll's events back for long.
   * @default 20
   */
  readonly lookupsPerPoll?: number;
}

export type PollOutcome =
  | { readonly ok: true; readonly events: readonly StoredEvent[] }
  | { readonly ok: false; readonly error: UpstreamError | StoreError };

export class PollingSource {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private lastFailure: string | undefined;
  private failureStreak = 0;
  private lastWarnings = '';
  /** Waiting for the next completed poll (tests wait on polls instead of sleeping). */
  private pollListeners: Array<(outcome: PollOutcome) => void> = [];
  /**
   * Vanished started matches in the order their look-up is due: a match looked up goes to the back,
   * so a backlog larger than the budget is worked through in turn.
   */
  private readonly lookupQueue = new Set<string>();

  constructor(private readonly options: PollingSourceOptions) {}

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

  /** Polls again now instead of at the next interval (push mode, when the push feed goes down). */
  pollSoon(): void {
    if (this.stopped || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(0);
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
          const { book, pollIdleIntervalMs, pollIntervalMs, intervalOverride } = this.options;
          const idle = outcome.ok && book.liveCount === 0 && !book.kickOffPending;
          const interval = Math.max(intervalOverride?.() ?? (idle ? pollIdleIntervalMs : pollIntervalMs), this.options.minIntervalMs?.() ?? 0);
          const retryAfter = outcome.ok ? 0 : (outcome.error.details.retryAfterMs ?? 0);
          this.schedule(Math.max(interval - (Date.now() - started), retryAfter));
        },
        (error: unknown) => {
          // pollOnce handles upstream and store failures itself; this is a bug. Keep going.
          this.options.logger.error({ err: error }, 'poll crashed; retrying at the next interval');
          this.schedule(this.options.pollIntervalMs);
        },
      );
      this.running = run;
    }, delayMs);
  }

  /** One poll: fetch, look up vanished matches, ingest. */
  async pollOnce(): Promise<PollOutcome> {
    const { feed, logger, metrics, book, ingestor } = this.options;
    // Newest observation wins: the poll's observation time is when its request began.
    const observedAt = Date.now();
    const reply = await feed.livescore();
    if (!reply.ok) {
      this.reportFailure(reply.error);
      metrics?.polls.inc({ outcome: 'failed' });
      return this.notify({ ok: false, error: reply.error });
    }
    this.reportRecovery();
    const warnings = reply.value.warnings.join('\n');
    if (warnings !== '' && warnings !== this.lastWarnings) logger.warn({ warnings: reply.value.warnings }, 'upstream items skipped');
    this.lastWarnings = warnings;

    const listed = new Set(reply.value.matches.map((m) => m.matchId));
    // Only a started match is looked up: one that never kicked off was never announced and goes quietly.
    const vanished = [...book.values()]
      .filter(
        (state) => state.started && !listed.has(state.matchId) && !state.ended && ingestor.lastObservedAt(state.matchId) <= observedAt,
      )
      .map((state) => state.matchId);
    // The look-ups may take one live interval (plus the ones already started), however long the
    // live list took to arrive.
    const absences = await this.lookUpVanished(vanished, Date.now() + this.options.pollIntervalMs);
    const outcome = await ingestor.ingest({ matches: reply.value.matches, observedAt, complete: true, absences, source: 'poll' });
    metrics?.polls.inc({ outcome: outcome.ok ? 'ok' : 'failed' });
    return this.notify(outcome);
  }

  /**
   * Looks up as many of the vanished matches as this poll may — at most `lookupConcurrency` at a
   * time, `lookupsPerPoll` in all, none started after `deadline` once the first ones are — and
   * marks the others `deferred` (not counted absent; due first on the next polls).
   */
  private async lookUpVanished(vanished: readonly string[], deadline: number): Promise<Map<string, AbsenceOutcome>> {
    const { metrics } = this.options;
    const concurrency = Math.max(1, this.options.lookupConcurrency ?? DEFAULT_LOOKUP_CONCURRENCY);
    const budget = Math.max(1, this.options.lookupsPerPoll ?? DEFAULT_LOOKUPS_PER_POLL);
    const current = new Set(vanished);
    for (const matchId of this.lookupQueue) if (!current.has(matchId)) this.lookupQueue.delete(matchId);
    for (const matchId of vanished) this.lookupQueue.add(matchId);

    const due = [...this.lookupQueue].slice(0, budget);
    const absences = new Map<string, AbsenceOutcome>();
    let next = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop && next < due.length && (next < concurrency || Date.now() < deadline)) {
        const matchId = due[next] as string;
        next += 1;
        // To the back of the queue: if it stays vanished, the others come first.
        this.lookupQueue.delete(matchId);
        this.lookupQueue.add(matchId);
        metrics?.vanishedLookupsInFlight.inc();
        let looked: { absence: AbsenceOutcome; refused: boolean };
        try {
          looked = await this.confirmAbsence(matchId);
        } finally {
          metrics?.vanishedLookupsInFlight.dec();
        }
        absences.set(matchId, looked.absence);
        if (looked.refused) stop = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));

    let carried = 0;
    for (const matchId of vanished) {
      if (absences.has(matchId)) continue;
      absences.set(matchId, { kind: 'deferred' });
      carried += 1;
    }
    metrics?.vanishedLookupsCarriedOver.set(carried);
    if (carried > 0) {
      this.options.logger.debug({ looked_up: absences.size - carried, carried_over: carried }, 'vanished matches: look-ups carried over to the next polls');
    }
    return absences;
  }

  /** One look-up; `refused` when the provider refused it in a way that makes further look-ups pointless now. */
  private async confirmAbsence(matchId: string): Promise<{ absence: AbsenceOutcome; refused: boolean }> {
    const { metrics } = this.options;
    const log = this.options.logger.child({ match_id: matchId });
    const lookup = await this.options.feed.fixture(matchId);
    if (!lookup.ok) {
      metrics?.vanishedLookups.inc({ outcome: 'failed' });
      log.warn({ kind: lookup.error.kind, error: lookup.error.message }, 'match vanished from the live list; look-up failed');
      return { absence: { kind: 'unconfirmed' }, refused: STOP_LOOKUPS_ON.has(lookup.error.kind) };
    }
    if (lookup.value === undefined) {
      metrics?.vanishedLookups.inc({ outcome: 'unknown' });
      log.info('match vanished from the live list; the provider does not know it');
      return { absence: { kind: 'unconfirmed' }, refused: false };
    }
    metrics?.vanishedLookups.inc({ outcome: 'found' });
    log.info({ status: lookup.value.statusText }, 'match vanished from the live list; looked it up');
    return { absence: { kind: 'found', snapshot: lookup.value }, refused: false };
  }

  private reportFailure(error: UpstreamError): void {
    this.failureStreak += 1;
    const signature = `${error.kind}:${error.message}`;
    const fields = { kind: error.kind, error: error.message, consecutive_failures: this.failureStreak };
    // The open breaker's refusals are the logged failure going on: a bad key is said once, not again
    // after every probe of the breaker.
    if (error.kind !== 'circuit_open' && signature !== this.lastFailure) {
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

  private notify(outcome: PollOutcome): PollOutcome {
    this.options.onPolled?.(outcome);
    const listeners = this.pollListeners;
    this.pollListeners = [];
    for (const listener of listeners) listener(outcome);
    return outcome;
  }
}
