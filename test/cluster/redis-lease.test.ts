/**
 * The leader lease against real Redis: one leader among contenders, takeover from a leader frozen
 * with SIGSTOP (a real child process) whose fenced commits are then refused, and leadership that
 * comes back after Redis restarts empty (a private redis-server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { REDIS_CLIENT_OPTIONS } from '../../src/cluster/redis-client.js';
import { RedisLease, type LeaseLossReason } from '../../src/cluster/redis-lease.js';
import { RedisEventStore } from '../../src/store/redis-event-store.js';
import { deleteKeys, startRedisServer, testPrefix, TEST_REDIS_URL, waitFor, type PrivateRedis } from '../helpers/redis-server.js';

const CHILD = fileURLToPath(new URL('./lease-child.mjs', import.meta.url));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A client as the app makes it (no offline queue), connected. */
async function client(url = TEST_REDIS_URL): Promise<Redis> {
  const redis = new Redis(url, REDIS_CLIENT_OPTIONS);
  cleanups.push(() => redis.disconnect());
  await redis.connect();
  return redis;
}

function sharedPrefix(): string {
  const prefix = testPrefix('lease');
  cleanups.push(async () => {
    const admin = new Redis(TEST_REDIS_URL);
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });
  return prefix;
}

function contender(redis: Redis, prefix: string, nodeId: string, leaseMs: number) {
  const lost: LeaseLossReason[] = [];
  const acquired: string[] = [];
  const lease = new RedisLease({ redis, prefix, nodeId, leaseMs, onAcquired: (t) => acquired.push(t), onLost: (r) => lost.push(r) });
  cleanups.push(() => lease.stop());
  return { lease, lost, acquired };
}

interface Child {
  readonly process: ChildProcess;
  /** The first line printed so far (or until the deadline) that passes `predicate`. */
  next(predicate: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function spawnChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  return {
    process: child,
    async next(predicate, what, timeoutMs = 15_000) {
      let found: Record<string, unknown> | undefined;
      await waitFor(
        () => {
          found = lines.find(predicate);
          return found !== undefined;
        },
        `${what} (child stderr: ${stderr.slice(-500)})`,
        timeoutMs,
      );
      return found ?? {};
    },
  };
}

describe('RedisLease', () => {
  it('elects exactly one leader among contenders; the key holds its token; a release hands over', async () => {
    const prefix = sharedPrefix();
    const contenders = await Promise.all(['a', 'b', 'c'].map(async (id) => contender(await client(), prefix, `node-${id}`, 1_000)));
    for (const { lease } of contenders) lease.start();
    const leaders = () => contenders.filter(({ lease }) => lease.isLeader);
    await waitFor(() => leaders().length === 1, 'a leader');
    const first = leaders()[0];
    if (first === undefined) throw new Error('no leader');
    // Through several renewals, never two leaders, and the key always holds the leader's token.
    const admin = await client();
    while (first.lease.stats.renewals < 4) {
      expect(leaders().length).toBeLessThanOrEqual(1);
      const holder = await admin.get(`${prefix}leader`);
      if (first.lease.isLeader) expect(holder).toBe(first.lease.token);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(contenders.reduce((n, { lease }) => n + lease.stats.takeovers, 0)).toBe(1);

    await first.lease.stop();
    expect(first.lost).toEqual(['stopped']);
    await waitFor(() => leaders().length === 1, 'a successor');
    const second = leaders()[0];
    expect(second).not.toBe(first);
    expect(second?.lease.token).not.toBe(first.acquired[0]);
  });

  it('tokens are unique per acquisition', async () => {
    const prefix = sharedPrefix();
    const one = contender(await client(), prefix, 'node-a', 1_000);
    one.lease.start();
    await waitFor(() => one.lease.isLeader, 'leadership');
    await one.lease.stop();
    one.lease.start();
    await waitFor(() => one.lease.isLeader, 'leadership again');
    expect(one.acquired).toHaveLength(2);
    expect(new Set(one.acquired).size).toBe(2);
    expect(one.acquired.every((t) => t.startsWith('node-a:'))).toBe(true);
  });

  it('a leader frozen with SIGSTOP loses the lease to another node; resumed, its fenced commits are refused', async () => {
    const prefix = sharedPrefix();
    const leaseMs = 1_500;
    const child = spawnChild({ REDIS_URL: TEST_REDIS_URL, PREFIX: prefix, NODE_ID: 'frozen', LEASE_MS: String(leaseMs) });
    const { acquired: oldToken } = (await child.next((l) => typeof l['acquired'] === 'string', 'the child leads')) as { acquired: string };

    const redis = await client();
    const store = new RedisEventStore({ redis, prefix });
    const successor = contender(redis, prefix, 'successor', leaseMs);
    successor.lease.start();
    expect(successor.lease.isLeader).toBe(false);

    child.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // Takeover once the frozen leader's lease expired: leaseMs plus the follower's retry period.
    await waitFor(() => successor.lease.isLeader, 'the successor takes over', leaseMs * 4);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(leaseMs / 2);
    const newToken = successor.lease.token ?? '';
    expect(newToken).not.toBe(oldToken);
    await store.commit({ events: [], states: [], forget: [], fence: newToken });

    child.process.kill('SIGCONT');
    child.process.stdin?.write('commit\n');
    const outcome = await child.next((l) => 'commit' in l, 'the stale commit outcome');
    expect(outcome).toMatchObject({ commit: 'fenced', isLeader: false });
    await child.next((l) => l['lost'] === 'expired' || l['lost'] === 'taken', 'the child notices it lost the lease');
    expect((await store.bounds()).latestSeq).toBe(0);
    expect(successor.lease.isLeader).toBe(true);
    expect(successor.lost).toEqual([]);
  });

  it('re-establishes leadership after Redis restarts empty; the old token is refused', async () => {
    const server: PrivateRedis = await startRedisServer();
    cleanups.push(() => server.stop());
    const redis = await client(server.url);
    const prefix = 'fsc:';
    const store = new RedisEventStore({ redis, prefix });
    const node = contender(redis, prefix, 'node-a', 1_000);
    node.lease.start();
    await waitFor(() => node.lease.isLeader, 'leadership');
    const before = node.lease.token ?? '';

    await server.restart({ keepData: false });
    await waitFor(() => node.acquired.length === 2 && node.lease.isLeader, 'leadership again after the restart', 15_000);
    expect(node.lost).toHaveLength(1);
    expect(['expired', 'vanished']).toContain(node.lost[0]);
    const after = node.lease.token ?? '';
    expect(after).not.toBe(before);
    await waitFor(() => redis.status === 'ready', 'the client reconnected');
    await expect(store.commit({ events: [], states: [], forget: [], fence: before })).rejects.toThrow(/no longer the writer/);
    expect(await store.commit({ events: [], states: [], forget: [], fence: after })).toEqual([]);
  });
});
