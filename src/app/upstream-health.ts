/**
 * Upstream health sharing: only the writer polls the provider, but every process answers `/health`
 * and tells its clients the provider's status (UPSTREAM_STATUS). Where several processes serve one
 * store (workers, nodes), the writer records its view of the provider (with the status) in the
 * store and the others show and adopt what it last recorded.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { HEALTH_CALL_TIMEOUT_MS, type UpstreamHealthView } from '../server/http.js';
import { within } from '../store/deadline.js';
import type { EventStore } from '../store/types.js';
import type { ProviderClient, UpstreamHealth } from '../upstream/provider.js';
import type { PushFeed } from '../upstream/push-feed.js';
import { parseUpstreamStatus, upstreamStatusFrame, UpstreamStatusTracker, type UpstreamStatus } from '../upstream/status.js';
import type { Parts } from './parts.js';

/** Meta key under which the writer records its upstream health for processes that do not poll. */
const UPSTREAM_HEALTH_META = 'upstream_health';
/** At most one such record per second. */
const UPSTREAM_HEALTH_EVERY_MS = 1_000;

const BREAKER_STATES: ReadonlySet<string> = new Set(['closed', 'open', 'half-open']);
const PUSH_STATES: ReadonlySet<string> = new Set(['connected', 'reconnecting', 'down']);

/** The writer's upstream health as recorded in the store, checked field by field (undefined when it is not one). */
export function parseUpstreamHealthRecord(recorded: string | undefined): (UpstreamHealthView & { readonly status?: unknown }) | undefined {
  if (recorded === undefined || recorded.length > 4_096) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(recorded);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const nullableText = (v: unknown): v is string | null => v === null || (typeof v === 'string' && v.length <= 200);
  const push = record['push'] as Record<string, unknown> | undefined;
  const pushOk = push === undefined || (typeof push === 'object' && push !== null && PUSH_STATES.has(String(push['state'])) && nullableText(push['last_frame_at']));
  const quota = record['quota'] as Record<string, unknown> | undefined;
  const count = (v: unknown): v is number | null => v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
  const quotaOk =
    quota === undefined ||
    (typeof quota === 'object' && quota !== null && count(quota['day_remaining']) && count(quota['day_limit']) && count(quota['minute_remaining']));
  if (
    !nullableText(record['lastSuccessAt']) ||
    !nullableText(record['lastFailureAt']) ||
    !nullableText(record['lastFailureKind']) ||
    !Number.isSafeInteger(record['consecutiveFailures']) ||
    (record['consecutiveFailures'] as number) < 0 ||
    !BREAKER_STATES.has(String(record['breaker'])) ||
    !pushOk ||
    !quotaOk
  ) {
    return undefined;
  }
  const checked = value as UpstreamHealth & { readonly status?: unknown };
  if (quota === undefined) return checked;
  // Only the three counts: a record anyone with store access can write never adds fields to /health.
  const { day_remaining, day_limit, minute_remaining } = quota as { day_remaining: number | null; day_limit: number | null; minute_remaining: number | null };
  return { ...checked, quota: { day_remaining, day_limit, minute_remaining } };
}

export interface UpstreamHealthOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: EventStore;
  readonly upstream: ProviderClient;
  /** Where clients are told the status (UPSTREAM_STATUS frames). */
  readonly hub: { setUpstreamStatus(frame: string): void };
  /** Several processes serve this store (workers, nodes): the writer shares its view of the provider. */
  readonly shared: boolean;
  /** Whether this process is the writer right now (it then assesses the provider itself). */
  readonly isWriter: () => boolean;
  /** Registers the timer that follows the writer's record (part `upstream`). */
  readonly parts: Parts;
}

/**
 * The provider's health as this process shows it (`/health`) and tells its clients
 * (UPSTREAM_STATUS): the writer assesses its own view after every poll and push feed change; the
 * other processes take the status the writer recorded with that view.
 */
export class UpstreamHealthSharing {
  private recordedAt = 0;
  private readonly status = new UpstreamStatusTracker();
  private following = false;

  constructor(private readonly options: UpstreamHealthOptions) {
    options.hub.setUpstreamStatus(upstreamStatusFrame(this.status.current));
    if (options.shared) {
      const followTimer = setInterval(() => {
        this.follow().catch((error: unknown) => options.logger.debug({ err: error }, 'following the upstream status failed'));
      }, UPSTREAM_HEALTH_EVERY_MS).unref();
      options.parts.add('upstream', () => clearInterval(followTimer));
    }
  }

  /** The provider as the writer sees it; in push mode with the push feed's state. */
  own(push: PushFeed | undefined): UpstreamHealth {
    const { upstream, config } = this.options;
    const pushHealth = push?.health() ?? (config.upstream.mode === 'push' ? { state: 'down' as const, last_frame_at: null } : undefined);
    return pushHealth === undefined ? upstream.health() : { ...upstream.health(), push: pushHealth };
  }

  /** The writer saw the provider again (a poll, a push feed change): assessed, announced, recorded for the others. */
  writerSaw(push: PushFeed | undefined): void {
    const changed = this.status.assess(this.own(push));
    this.announce(changed);
    if (this.options.shared) this.record(push, changed !== undefined);
  }

  /**
   * `/health` `upstream`: the writer's own view (`isWriter`), else what the writer last recorded,
   * else this process's client.
   */
  async current(isWriter: boolean, push: PushFeed | undefined): Promise<UpstreamHealthView> {
    if (isWriter || !this.options.shared) return this.own(push);
    // A follower does not poll: it shows what the writer last recorded.
    return (await this.recorded()) ?? this.options.upstream.health();
  }

  /** Records the writer's view for the other processes, at most once a second unless `now`. */
  private record(push: PushFeed | undefined, now = false): void {
    const at = Date.now();
    if (!now && at - this.recordedAt < UPSTREAM_HEALTH_EVERY_MS) return;
    this.recordedAt = at;
    const record = { ...this.own(push), status: this.status.current };
    this.options.store.setMeta(UPSTREAM_HEALTH_META, JSON.stringify(record)).catch((error: unknown) => {
      this.options.logger.debug({ err: error }, 'recording the upstream health for the other processes failed');
    });
  }

  private announce(status: UpstreamStatus | undefined): void {
    if (status === undefined) return;
    this.options.logger.info({ state: status.state, reason: status.reason, since: status.since }, 'upstream status changed');
    this.options.hub.setUpstreamStatus(upstreamStatusFrame(status));
  }

  /** What the writer last recorded, when it can be read in time and is a record at all (anyone with access to the store can write there). */
  private async recorded(): Promise<(UpstreamHealthView & { readonly status?: unknown }) | undefined> {
    const recorded = await within(this.options.store.getMeta(UPSTREAM_HEALTH_META), HEALTH_CALL_TIMEOUT_MS, 'the upstream health record').catch(() => undefined);
    return parseUpstreamHealthRecord(recorded);
  }

  /** A process that does not write takes the status the writer recorded (every second). */
  private async follow(): Promise<void> {
    const { isWriter } = this.options;
    if (isWriter() || this.following) return;
    this.following = true;
    try {
      const record = await this.recorded();
      if (record === undefined || isWriter()) return;
      const status = parseUpstreamStatus(record.status);
      // A writer that records no status (an older version) still has its view assessed here.
      this.announce(status === undefined ? this.status.assess(record) : this.status.adopt(status));
    } finally {
      this.following = false;
    }
  }
}
