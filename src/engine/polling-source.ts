/**
 * The polling loop: fetch the live list, look up followed matches that vanished from it, and hand
 * the whole observation to the ingestor. Adaptive cadence (live / idle), and a failed poll changes
 * nothing: the next good poll is diffed against the last good state.
 */
import type { StoredEvent } from '../domain/events.js';
import type { MatchSnapshot } from '../domain/match.js';
import type { Result } from '../domain/result.js';
import type { AbsenceOutcome } from '../detect/diff.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { UpstreamError } from '../upstream/errors.js';
import type { ParsedReply } from '../upstream/parse.js';
import type { Ingestor, StoreError } from './ingestor.js';
import type { MatchBook } from './match-book.js';

/** What the polling loop needs from the provider client. */
export interface LiveFeed {
  livescore(): Promise<Result<ParsedReply, UpstreamError>>;
  fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>>;
}

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
  /** Called after every poll, good or failed. */
  readonly onPolled?: (outcome: PollOutcome) => void;
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
          const interval = intervalOverride?.() ?? (idle ? pollIdleIntervalMs : pollIntervalMs);
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
    const vanished = [...book.values()].filter(
      (state) => !listed.has(state.matchId) && !state.ended && ingestor.lastObservedAt(state.matchId) <= observedAt,
    );
    const absences = new Map<string, AbsenceOutcome>();
    await Promise.all(
      vanished.map(async (state) => {
        if (!state.started) return;
        absences.set(state.matchId, await this.confirmAbsence(state.matchId));
      }),
    );
    const outcome = await ingestor.ingest({ matches: reply.value.matches, observedAt, complete: true, absences, source: 'poll' });
    metrics?.polls.inc({ outcome: outcome.ok ? 'ok' : 'failed' });
    return this.notify(outcome);
  }

  private async confirmAbsence(matchId: string): Promise<AbsenceOutcome> {
    const log = this.options.logger.child({ match_id: matchId });
    const lookup = await this.options.feed.fixture(matchId);
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
