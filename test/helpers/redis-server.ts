/**
 * Redis for tests. Tests that only read and write use the test run's Redis (`TEST_REDIS_URL`) under a
 * unique key prefix and delete their keys afterwards. Tests that stop, restart or empty Redis start a
 * private `redis-server` on a free port with `startRedisServer()`.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export { startRedisServer, type PrivateRedis } from './redis-process.js';

function testRedisUrl(): string {
  const url = process.env['REDIS_TEST_URL'];
  if (url === undefined || url.trim() === '') {
    throw new Error('REDIS_TEST_URL is not set: run the tests with vitest, whose global setup (test/global-setup.ts) starts a redis-server');
  }
  return url;
}

/**
 * The Redis of this test run: the `redis-server` that vitest's global setup started on a free port
 * for the run (and stops after it), or the one `REDIS_TEST_URL` named when the run began.
 */
export const TEST_REDIS_URL = testRedisUrl();

/** A key prefix no other test (or test run) uses. */
export function testPrefix(label: string): string {
  return `fsc-test:${label}:${process.pid}:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS: the shared Redis may hold much more). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Waits for `condition` (checked every few ms), failing with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
