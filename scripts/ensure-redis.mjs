// `pretest`: the scale-out tests need `redis-server`. The test run starts its own on a free port
// (vitest's global setup, test/global-setup.ts) and stops it at the end; tests that stop, pause or
// flush Redis start further private ones (REDIS_TEST_URL, when set, replaces only the first). No
// server is started or left running here: see lib/debian-package.mjs for what happens when missing.
import { ensureDebianPackage } from './lib/debian-package.mjs';

ensureDebianPackage({ command: 'redis-server', pkg: 'redis-server', neededBy: 'the scale-out tests', service: 'redis-server' });
