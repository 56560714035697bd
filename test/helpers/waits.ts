/**
 * Waits on an in-process service's own progress, each with a bound: completed polls, poll outcomes
 * and conditions on its state. A wait ends when the thing happens, never after a fixed sleep.
 */
import type { PollOutcome } from '../../src/engine/polling-source.js';
import type { TestService } from './service.js';

/**
 * Waits for two more completed polls — the second started after every feed change made so far —
 * and returns the newest stored seq.
 */
export async function settle(service: TestService): Promise<number> {
  await service.app.poller.nextPoll();
  await service.app.poller.nextPoll();
  return (await service.app.store.bounds()).latestSeq;
}

/** The first completed poll whose outcome passes `predicate`; fails after `maxPolls` polls without one. */
export async function pollUntil(service: TestService, predicate: (outcome: PollOutcome) => boolean, maxPolls = 200): Promise<PollOutcome> {
  for (let i = 0; i < maxPolls; i += 1) {
    const outcome = await service.app.poller.nextPoll();
    if (predicate(outcome)) return outcome;
  }
  throw new Error(`no matching poll within ${maxPolls} polls`);
}

/**
 * Waits for a condition on the service's own state that no message or poll announces (a slot
 * released after a close, say): checked every few ms, failing with `what` after `timeoutMs`.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
