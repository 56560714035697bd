/**
 * vitest's global setup: the Redis the store, bus and lease suites share for this test run. Unless
 * `REDIS_TEST_URL` names one already running, a private `redis-server` (nothing persisted) is started
 * on a free port before the first test file and stopped after the last, so `npm test` leaves no
 * server behind. Test files read the address as `TEST_REDIS_URL` (test/helpers/redis-server.ts).
 */
import { startRedisServer, type PrivateRedis } from './helpers/redis-process.js';

export default async function setup(): Promise<() => Promise<void>> {
  const named = process.env['REDIS_TEST_URL']?.trim();
  let server: PrivateRedis | undefined;
  if (named === undefined || named === '') {
    server = await startRedisServer();
    // The test workers are forked after this and inherit it.
    process.env['REDIS_TEST_URL'] = server.url;
  }
  return async () => {
    await server?.stop();
  };
}
