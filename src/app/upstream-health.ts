/**
 * Upstream health sharing: only the writer polls the provider, but every process answers `/health`.
 * Where several processes serve one store (workers, nodes), the writer records its view of the
 * provider in the store and the others show what it last recorded.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { HEALTH_CALL_TIMEOUT_MS } from '../server/http.js';
import { within } from '../store/deadline.js';
import type { EventStore } from '../store/types.js';
import type { UpstreamClient, UpstreamHealth } from '../upstream/client.js';
import type { PushFeed } from '../upstream/push-feed.js';

/** Meta key under which the writer records its upstream health for processes that do not poll. */
const UPSTREAM_HEALTH_META = 'upstream_health';
/** At most one such record per second. */
const UPSTREAM_HEALTH_EVERY_MS = 1_000;

const BREAKER_STATES: ReadonlySet<string> = new Set(['closed', 'open', 'half-open']);
const PUSH_STATES: ReadonlySet<string> = new Set(['connected', 'reconnecting', 'down']);

/** The writer's upstream health as recorded in the store, checked field by field (undefined when it is not one). */
export function parseUpstreamHealthRecord(recorded: string | undefined): UpstreamHealth | undefined {
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
  if (
    !nullableText(record['lastSuccessAt']) ||
    !nullableText(record['lastFailureAt']) ||
    !nullableText(record['lastFailureKind']) ||
    !Number.isSafeInteger(record['consecutiveFailures']) ||
    (record['consecutiveFailures'] as number) < 0 ||
    !BREAKER_STATES.has(String(record['breaker'])) ||
    !pushOk
  ) {
    return undefined;
  }
  return value as UpstreamHealth;
}

export interface UpstreamHealthOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: EventStore;
  readonly upstream: UpstreamClient;
  /** Several processes serve this store (workers, nodes): the writer shares its view of the provider. */
  readonly shared: boolean;
}

/** The provider's health as this process shows it: its own when it polls, else the writer's record. */
export class UpstreamHealthSharing {
  private recordedAt = 0;

  constructor(private readonly options: UpstreamHealthOptions) {}

  get shared(): boolean {
    return this.options.shared;
  }

  /** The provider as the writer sees it; in push mode with the push feed's state. */
  own(push: PushFeed | undefined): UpstreamHealth {
    const { upstream, config } = this.options;
    const pushHealth = push?.health() ?? (config.upstream.mode === 'push' ? { state: 'down' as const, last_frame_at: null } : undefined);
    return pushHealth === undefined ? upstream.health() : { ...upstream.health(), push: pushHealth };
  }

  /** Records the writer's view for the other processes (at most once a second). */
  record(health: UpstreamHealth): void {
    const now = Date.now();
    if (now - this.recordedAt < UPSTREAM_HEALTH_EVERY_MS) return;
    this.recordedAt = now;
    this.options.store.setMeta(UPSTREAM_HEALTH_META, JSON.stringify(health)).catch((error: unknown) => {
      this.options.logger.debug({ err: error }, 'recording the upstream health for the other processes failed');
    });
  }

  /**
   * `/health` `upstream`: the writer's own view (`isWriter`), else what the writer last recorded
   * (when it can be read in time, and is a record at all: anyone with access to the store can
   * write there), else this process's client.
   */
  async current(isWriter: boolean, push: PushFeed | undefined): Promise<UpstreamHealth> {
    if (isWriter || !this.options.shared) return this.own(push);
    const recorded = await within(this.options.store.getMeta(UPSTREAM_HEALTH_META), HEALTH_CALL_TIMEOUT_MS, 'the upstream health record').catch(
      () => undefined,
    );
    return parseUpstreamHealthRecord(recorded) ?? this.options.upstream.health();
  }
}
