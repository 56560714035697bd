/**
 * Leadership on Redis: the leader lease names the writer among the nodes. Taking the lease
 * promotes this process, losing it demotes it; a promotion that fails gives the lease back.
 */
import type { Redis } from 'ioredis';
import type { Config, RedisConfig } from '../config.js';
import { RedisLease } from '../cluster/redis-lease.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { HEALTH_CALL_TIMEOUT_MS } from '../server/http.js';
import { within } from '../store/deadline.js';
import { redisKeys } from '../store/redis-keys.js';
import type { Roles } from './roles.js';

/** `/health` `redis`: connected, and the round trip of a PING (null when it did not answer within a second). */
async function pingRedis(redis: Redis): Promise<{ connected: boolean; latency_ms: number | null }> {
  if (redis.status !== 'ready') return { connected: false, latency_ms: null };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    redis.ping().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 1_000))),
  ]);
  clearTimeout(timer);
  return answered ? { connected: true, latency_ms: Math.round((performance.now() - started) * 100) / 100 } : { connected: false, latency_ms: null };
}

/**
 * Whether the leader lease is held by another node right now (`/health` of a node whose promotion
 * failed: it is unhealthy only while no other node leads). Unknown (unanswered in time) is no.
 */
async function leaseHeldElsewhere(redis: Redis, prefix: string, nodeId: string): Promise<boolean> {
  const holder = await within(redis.get(redisKeys(prefix).leader), HEALTH_CALL_TIMEOUT_MS, 'the leader lease').catch(() => null);
  return holder !== null && !holder.startsWith(`${nodeId}:`);
}

export interface LeadershipOptions {
  readonly config: Config;
  readonly redisConfig: RedisConfig;
  readonly redis: Redis;
  readonly prefix: string;
  readonly nodeId: string;
  readonly roles: Roles;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The `/health` fields of a node: its id, role and Redis; degraded or unhealthy when they say so. */
export interface NodeHealth {
  readonly fields: Record<string, unknown>;
  readonly degraded: boolean;
  readonly unhealthy: boolean;
}

/** The leader lease of this node and what became of its last promotion. */
export class Leadership {
  readonly lease: RedisLease;
  /** This node took the lease but could not become the writer (shown by /health until it does). */
  private promotionFailure: { readonly at: string; readonly error: string } | undefined;

  constructor(private readonly options: LeadershipOptions) {
    const { config, redis, prefix, nodeId, roles, logger, metrics } = options;
    const leaseMs = options.redisConfig.leaderLeaseMs;
    const lease: RedisLease = new RedisLease({
      redis,
      prefix,
      nodeId,
      leaseMs,
      // A follower tries often enough to take over within the lease plus one poll.
      retryMs: Math.max(50, Math.min(config.pollIntervalMs, leaseMs / 10)),
      onAcquired: (token) => {
        roles.promote(token).then(
          () => {
            if (roles.writer !== undefined) this.promotionFailure = undefined;
          },
          (error: unknown) => {
            // Holding the lease without writing would leave every node without a writer: give
            // it back, and stand aside for one lease period so that another node takes it.
            this.promotionFailure = { at: new Date().toISOString(), error: error instanceof Error ? error.message : String(error) };
            metrics.promotionFailures.inc();
            logger.error({ err: error, node_id: nodeId, retry_in_ms: leaseMs }, 'taking the writer role failed: the leader lease is given back');
            void lease.relinquish(leaseMs);
          },
        );
      },
      onLost: (reason) => {
        logger.warn({ reason, node_id: nodeId }, 'leader lease lost');
        roles.demote().catch((error: unknown) => logger.error({ err: error }, 'giving up the writer role failed'));
      },
      onRenewed: () => metrics.leaseRenewals.inc(),
      onError: (error) => logger.debug({ err: error }, 'leader lease: Redis command failed'),
    });
    this.lease = lease;
  }

  /** Whether Redis is connected (`/readyz`). */
  get connected(): boolean {
    return this.options.redis.status === 'ready';
  }

  /** `/health`: this node's id, role and Redis, and whether its failed promotion leaves the deployment without a writer. */
  async health(fields: Record<string, unknown>): Promise<NodeHealth> {
    const { redis, prefix, nodeId, roles } = this.options;
    const failure = roles.writer === undefined ? this.promotionFailure : undefined;
    const [redisHealth, otherLeader] = await Promise.all([pingRedis(redis), failure ? leaseHeldElsewhere(redis, prefix, nodeId) : false]);
    fields['node_id'] = nodeId;
    fields['role'] = roles.writer === undefined ? 'follower' : 'leader';
    fields['redis'] = redisHealth;
    if (failure !== undefined && otherLeader) {
      // Another node leads: the deployment has its writer again, and this one serves as a follower.
      if (this.promotionFailure === failure) this.promotionFailure = undefined;
    } else if (failure !== undefined) {
      fields['promotion_failure'] = { at: failure.at, error: failure.error };
    }
    // Unhealthy while nobody writes because this node could not.
    const unhealthy = failure !== undefined && !otherLeader;
    return { fields, degraded: !redisHealth.connected, unhealthy };
  }
}
