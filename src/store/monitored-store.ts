/**
 * Makes a store's failures visible. Every call is passed through; failures are counted in
 * `fsc_store_errors_total{operation}` and remembered, so `/health` turns `unhealthy` (with a `store`
 * detail) after consecutive failed writes or reads — a full disk or a corrupt page must never hide
 * behind a `healthy` answer while events silently stop.
 */
import type { Metrics } from '../metrics.js';
import { FencedError, type Commit, type EventQuery, type EventStore } from './types.js';

/** Consecutive failures of one kind after which the store counts as failing. */
export const STORE_FAILURES_UNHEALTHY = 3;

export interface StoreHealth {
  /** Consecutive failed writes (commits, prunes, meta writes) and reads, each reset by a success of its kind. */
  readonly consecutiveWriteFailures: number;
  readonly consecutiveReadFailures: number;
  /** Message of the last failure, if any. */
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** Either kind failed `STORE_FAILURES_UNHEALTHY` times in a row. */
  readonly failing: boolean;
}

type Kind = 'read' | 'write';

export class MonitoredEventStore implements EventStore {
  private writeFailures = 0;
  private readFailures = 0;
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;

  constructor(
    readonly inner: EventStore,
    private readonly metrics?: Metrics,
  ) {}

  health(): StoreHealth {
    return {
      consecutiveWriteFailures: this.writeFailures,
      consecutiveReadFailures: this.readFailures,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      failing: Math.max(this.writeFailures, this.readFailures) >= STORE_FAILURES_UNHEALTHY,
    };
  }

  private async track<T>(kind: Kind, operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const value = await run();
      if (kind === 'write') this.writeFailures = 0;
      else this.readFailures = 0;
      return value;
    } catch (error) {
      // A fenced commit is the store working as designed (a demoted writer), not a failure.
      if (!(error instanceof FencedError)) {
        if (kind === 'write') this.writeFailures += 1;
        else this.readFailures += 1;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.lastErrorAt = new Date().toISOString();
        this.metrics?.storeErrors.inc({ operation });
      }
      throw error;
    }
  }

  bounds() {
    return this.track('read', 'bounds', () => this.inner.bounds());
  }
  commit(commit: Commit) {
    return this.track('write', 'commit', () => this.inner.commit(commit));
  }
  readAfter(query: EventQuery) {
    return this.track('read', 'read', () => this.inner.readAfter(query));
  }
  loadStates() {
    return this.track('read', 'load_states', () => this.inner.loadStates());
  }
  loadBook() {
    return this.track('read', 'load_states', () => this.inner.loadBook());
  }
  claimWriter(fence: string) {
    return this.track('write', 'claim_writer', () => this.inner.claimWriter(fence));
  }
  getMeta(key: string) {
    return this.track('read', 'meta', () => this.inner.getMeta(key));
  }
  setMeta(key: string, value: string) {
    return this.track('write', 'meta', () => this.inner.setMeta(key, value));
  }
  prune(before: Date) {
    return this.track('write', 'prune', () => this.inner.prune(before));
  }
  close() {
    return this.inner.close();
  }
}
