/**
 * Leader election with a lease in Redis: exactly one node polls the provider and writes the store.
 *
 * - Acquire: `SET <prefix>leader <token> NX PX <leaseMs>`; followers retry every `retryMs`.
 * - Renew every `renewEveryMs` (a third of the lease by default) by compare-and-pexpire (Lua).
 * - Release on `stop()` by compare-and-delete (Lua), so a successor does not wait for the expiry.
 * - The token is new for every acquisition (`<nodeId>:<n>:<random>`) and is the fencing token the
 *   writer passes as `Commit.fence`: the store's commit script checks it against the same key.
 *
 * A leader demotes itself on a local deadline computed from when the last successful acquire or
 * renewal was SENT (the server's expiry is at least `leaseMs` after it received the command, which is
 * after we sent it), minus a margin for clock-rate drift. So it gives up before the server could
 * have let another node in, whether the renewal failed, hung, or came back too late; and `isLeader`
 * reads the clock, so it is right even when the event loop was blocked past the deadline. A writer
 * that still commits after that (a paused process resumed) is refused by the fencing token.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineScript, redisKeys, type RedisScript } from '../store/redis-keys.js';

/** Why a leader stopped being one. */
export type LeaseLossReason =
  /** The local deadline passed without a confirmed renewal (Redis slow or unreachable, process paused). */
  | 'expired'
  /** Another node holds the lease now. */
  | 'taken'
  /** The lease key is gone (Redis restarted empty, or flushed). */
  | 'vanished'
  /** `stop()` released it. */
  | 'stopped'
  /** `relinquish()` gave it back (this node could not act as the leader). */
  | 'relinquished';

export interface RedisLeaseOptions {
  /** The ioredis client; the lease never creates or closes it. */
  readonly redis: Redis;
  /** Prefix of the lease key (`<prefix>leader`), the same as the store's (`REDIS_PREFIX`). */
  readonly prefix: string;
  /** This node's id (stable for the node's life), the first part of every token. */
  readonly nodeId: string;
  /** Lease duration (`LEADER_LEASE_SECS` × 1000). */
  readonly leaseMs: number;
  /** Renewal period. @default leaseMs / 3 */
  readonly renewEveryMs?: number;
  /** How often a follower tries to take the lease. @default min(leaseMs / 5, 2000) */
  readonly retryMs?: number;
  /** Subtracted from the local deadline for clock-rate drift between this node and Redis. @default leaseMs / 10 */
  readonly marginMs?: number;
  /** Called when this node becomes the leader, with the fencing token to commit with. */
  readonly onAcquired?: (token: string) => void;
  /** Called when this node stops being the leader. */
  readonly onLost?: (reason: LeaseLossReason) => void;
  /** Called after each confirmed renewal (metrics). */
  readonly onRenewed?: () => void;
  /** Called when a Redis command of the lease fails (it keeps trying; the deadline decides). */
  readonly onError?: (error: Error) => void;
}

/** Counters for `/metrics`. */
export interface LeaseStats {
  /** Confirmed renewals. */
  renewals: number;
  /** Times this node took the lease. */
  takeovers: number;
  /** Times this node lost or gave up the lease. */
  losses: number;
}

// KEYS: leader. ARGV: token, leaseMs. 1 renewed; 0 the key is gone; -1 another token holds it.
const RENEW_LUA = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if current then return -1 end
return 0
`;

// KEYS: leader. ARGV: token. Deletes the key only while it still holds our token.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const now = (): number => performance.now();

export class RedisLease {
  readonly stats: LeaseStats = { renewals: 0, takeovers: 0, losses: 0 };
  private readonly redis: Redis;
  private readonly key: string;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly retryMs: number;
  private readonly marginMs: number;
  private readonly renewScript: RedisScript;
  private readonly releaseScript: RedisScript;
  private currentToken: string | undefined;
  private deadline = 0;
  private acquisitions = 0;
  private running = false;
  private busy = false;
  /** Bumped on every role change: a reply for an older generation is stale and ignored. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisLeaseOptions) {
    if (!(options.leaseMs > 0)) throw new RangeError(`leaseMs must be a positive number of milliseconds, got ${options.leaseMs}`);
    this.redis = options.redis;
    this.key = redisKeys(options.prefix).leader;
    this.leaseMs = Math.ceil(options.leaseMs);
    this.renewEveryMs = options.renewEveryMs ?? this.leaseMs / 3;
    this.retryMs = options.retryMs ?? Math.min(this.leaseMs / 5, 2_000);
    this.marginMs = options.marginMs ?? this.leaseMs / 10;
    if (this.renewEveryMs >= this.leaseMs - this.marginMs) {
      throw new RangeError(`renewEveryMs (${this.renewEveryMs}) must be well below leaseMs minus marginMs (${this.leaseMs - this.marginMs})`);
    }
    this.renewScript = defineScript(this.redis, 'fscLeaseRenew', RENEW_LUA);
    this.releaseScript = defineScript(this.redis, 'fscLeaseRelease', RELEASE_LUA);
  }

  /** True while this node holds the lease by its own clock (false once the local deadline passed). */
  get isLeader(): boolean {
    return this.currentToken !== undefined && now() < this.deadline;
  }

  /** The fencing token of the current leadership, or undefined when not the leader. */
  get token(): string | undefined {
    return this.isLeader ? this.currentToken : undefined;
  }

  /** Starts contending for the lease. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0, () => this.tryAcquire());
  }

  /** Stops contending; a leader releases the lease (so a successor need not wait for it to expire). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const token = this.currentToken;
    if (token !== undefined) {
      this.demote('stopped');
      try {
        await this.releaseScript([this.key], [token]);
      } catch (error) {
        // The lease then simply expires after leaseMs.
        this.reportError(error);
      }
    }
  }

  /**
   * Gives the lease back while going on contending, but not before `retryAfterMs`: for a node that
   * took the lease and then could not act as the leader, so that another node gets the chance
   * rather than this one taking it straight back. No-op when not the leader.
   */
  async relinquish(retryAfterMs: number): Promise<void> {
    const token = this.currentToken;
    if (token === undefined) return;
    this.demote('relinquished');
    this.schedule(retryAfterMs, () => this.tryAcquire());
    try {
      await this.releaseScript([this.key], [token]);
    } catch (error) {
      // The lease then simply expires after leaseMs.
      this.reportError(error);
    }
  }

  private schedule(delayMs: number, step: () => Promise<void>): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void step();
    }, delayMs);
    // unref: the lease must not keep a process alive that is otherwise shutting down.
    this.timer.unref();
  }

  private async tryAcquire(): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    const generation = this.generation;
    this.acquisitions += 1;
    const token = `${this.options.nodeId}:${this.acquisitions}:${randomBytes(4).toString('hex')}`;
    const sentAt = now();
    try {
      const reply = await this.redis.set(this.key, token, 'PX', this.leaseMs, 'NX');
      if (reply !== 'OK') return;
      if (!this.running || generation !== this.generation || now() >= sentAt + this.leaseMs - this.marginMs) {
        // Stopped meanwhile, or the reply came too late to trust: give the lease back.
        await this.releaseScript([this.key], [token]);
        return;
      }
      this.promote(token, sentAt);
    } catch (error) {
      this.reportError(error);
      // The SET may still be applied after the client stopped waiting (a command timeout while
      // Redis stalled): take back whatever it granted, or nobody could lead until it expires. Sent
      // on the same connection after the SET, so Redis runs it after the SET.
      this.releaseScript([this.key], [token]).catch((releaseError: unknown) => this.reportError(releaseError));
    } finally {
      this.busy = false;
      if (this.currentToken === undefined) this.schedule(this.retryMs, () => this.tryAcquire());
    }
  }

  private promote(token: string, sentAt: number): void {
    this.generation += 1;
    this.currentToken = token;
    this.stats.takeovers += 1;
    this.extendTo(sentAt + this.leaseMs - this.marginMs);
    this.schedule(this.renewEveryMs, () => this.renew());
    this.options.onAcquired?.(token);
  }

  private extendTo(deadline: number): void {
    this.deadline = deadline;
    this.armDeadline();
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (this.currentToken === undefined) return;
      if (now() >= this.deadline) this.demote('expired');
      // Timers run on the event loop's cached clock, which can lag performance.now(): one may fire
      // a little before the deadline by this clock. Not re-armed, the leader would stay one for as
      // long as Redis stays unreachable (no renewal gets through to arm it again).
      else this.armDeadline();
    }, Math.max(0, this.deadline - now()));
    this.deadlineTimer.unref();
  }

  private demote(reason: LeaseLossReason): void {
    const token = this.currentToken;
    if (token === undefined) return;
    if (reason === 'expired') {
      // A renewal that timed out on the client may still be applied by a Redis that stalled: its
      // reply is dropped, so take back what it may have extended (only while it still holds our
      // token), or no node could lead until it expires. Queued after that renewal on the connection.
      this.releaseScript([this.key], [token]).catch((error: unknown) => this.reportError(error));
    }
    this.generation += 1;
    this.currentToken = undefined;
    this.deadline = 0;
    clearTimeout(this.deadlineTimer);
    this.stats.losses += 1;
    this.options.onLost?.(reason);
    if (this.running) this.schedule(this.retryMs, () => this.tryAcquire());
  }

  private async renew(): Promise<void> {
    const token = this.currentToken;
    if (!this.running || token === undefined) return;
    const generation = this.generation;
    const sentAt = now();
    try {
      const reply = Number(await this.renewScript([this.key], [token, this.leaseMs]));
      if (generation !== this.generation) {
        // Demoted while this renewal was on its way (a late reply): do not keep others waiting on it.
        if (reply === 1) await this.releaseScript([this.key], [token]);
        return;
      }
      if (reply === 1) {
        if (now() >= this.deadline) {
          this.demote('expired');
          return;
        }
        this.stats.renewals += 1;
        this.extendTo(sentAt + this.leaseMs - this.marginMs);
        this.options.onRenewed?.();
        this.schedule(this.renewEveryMs, () => this.renew());
      } else {
        this.demote(reply === 0 ? 'vanished' : 'taken');
      }
    } catch (error) {
      this.reportError(error);
      // Try again soon; the deadline timer demotes if no renewal gets through in time.
      if (generation === this.generation) this.schedule(Math.min(this.renewEveryMs, this.retryMs) / 2, () => this.renew());
    }
  }

  private reportError(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}
