/**
 * What clients are told about the data provider (`UPSTREAM_STATUS` frames): `ok`, `degraded` or
 * `down`, since when, and a short reason. Derived from the writer's view of the provider (the same
 * `UpstreamHealth` that `/health` shows); the writer records it with that view, so every worker and
 * node tells its clients the same status with the same `since`.
 *
 * Reasons are fixed texts chosen by the failure's kind, never the provider's or the client's
 * message: they go to every client, and must carry neither a secret nor anything the provider sent.
 */
import { UPSTREAM_STATES } from '@football-streaming-core/client/protocol';
import type { UpstreamStatusMessage } from '@football-streaming-core/client/wire';
import type { UpstreamHealth } from './provider.js';
import type { UpstreamFailureKind } from './errors.js';

export type UpstreamState = UpstreamStatusMessage['state'];

export interface UpstreamStatus {
  readonly state: UpstreamState;
  /** ISO 8601: when the provider entered `state`. */
  readonly since: string;
  readonly reason: string;
}

/** The reason of `ok`. */
export const UPSTREAM_OK_REASON = 'no provider problem reported';

const FAILURE_REASONS: Readonly<Record<UpstreamFailureKind, string>> = {
  network: 'the provider cannot be reached',
  timeout: 'the provider does not answer in time',
  http_5xx: 'the provider answers with server errors',
  http_4xx: 'the provider refuses the requests',
  rate_limited: 'the provider limits the requests (rate limit)',
  quota: "the provider's daily request quota is used up until it resets",
  plan: "the provider's plan refuses a request",
  auth: 'the provider refuses the API key',
  provider_error: 'the provider reports an error',
  bad_json: 'the provider sends data that cannot be read',
  bad_format: 'the provider sends data in an unexpected format',
  circuit_open: 'requests to the provider are paused after repeated failures',
};

/** Failures no retry mends: data stops at once (`down`), not after the breaker opens. */
const FATAL: ReadonlySet<string> = new Set<UpstreamFailureKind>(['auth', 'http_4xx', 'provider_error']);

const reasonOf = (kind: string | null): string =>
  kind !== null && Object.prototype.hasOwnProperty.call(FAILURE_REASONS, kind) ? FAILURE_REASONS[kind as UpstreamFailureKind] : 'the provider fails';

/** The state and reason a view of the provider amounts to. */
export function assessUpstream(health: UpstreamHealth): { readonly state: UpstreamState; readonly reason: string } {
  const pushDown = health.push !== undefined && health.push.state !== 'connected';
  if (health.consecutiveFailures > 0 || health.breaker !== 'closed') {
    const reason = reasonOf(health.lastFailureKind);
    if (health.breaker === 'open' || FATAL.has(health.lastFailureKind ?? '')) return { state: 'down', reason };
    return { state: 'degraded', reason: health.breaker === 'half-open' ? `${reason}; retrying` : reason };
  }
  // Polls succeed while the push feed is away: data flows, later than push would bring it.
  if (pushDown) return { state: 'degraded', reason: 'the provider push feed is reconnecting; polling meanwhile' };
  return { state: 'ok', reason: UPSTREAM_OK_REASON };
}

/** A status as recorded by the writer (in the store), checked field by field; `undefined` if it is not one. */
export function parseUpstreamStatus(value: unknown): UpstreamStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { state, since, reason } = value as Record<string, unknown>;
  if (!(UPSTREAM_STATES as readonly unknown[]).includes(state)) return undefined;
  if (typeof since !== 'string' || since.length > 40 || !Number.isFinite(Date.parse(since))) return undefined;
  if (typeof reason !== 'string' || reason.length > 200) return undefined;
  return { state: state as UpstreamState, since, reason };
}

/** The current status, and whether a new view changes it (then a frame goes to every client). */
export class UpstreamStatusTracker {
  private status: UpstreamStatus;

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
    this.status = { state: 'ok', since: now().toISOString(), reason: UPSTREAM_OK_REASON };
  }

  private readonly now: () => Date;

  get current(): UpstreamStatus {
    return this.status;
  }

  /** Folds in the writer's own view; the new status when the state or the reason changed. */
  assess(health: UpstreamHealth): UpstreamStatus | undefined {
    const { state, reason } = assessUpstream(health);
    if (state === this.status.state && reason === this.status.reason) return undefined;
    // A new reason in the same state keeps the state's `since`.
    this.status = { state, since: state === this.status.state ? this.status.since : this.now().toISOString(), reason };
    return this.status;
  }

  /** Takes a status the writer recorded, as it is; the status when it differs from the current one. */
  adopt(status: UpstreamStatus): UpstreamStatus | undefined {
    const current = this.status;
    if (status.state === current.state && status.since === current.since && status.reason === current.reason) return undefined;
    this.status = status;
    return status;
  }
}

/** The `UPSTREAM_STATUS` frame of a status. */
export const upstreamStatusFrame = (status: UpstreamStatus): string =>
  JSON.stringify({ type: 'UPSTREAM_STATUS', state: status.state, since: status.since, reason: status.reason } satisfies UpstreamStatusMessage);
