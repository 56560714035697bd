/**
 * A bound on how long a caller waits for a store (or Redis) call: `/health` must answer while the
 * store stalls, and say so, rather than hang with it.
 */
import { DeadlineError, MESSAGES } from '../errors.js';

/** Defined in the error catalogue (src/errors.ts). */
export { DeadlineError };

/**
 * Settles as `call` does, or rejects with `DeadlineError` after `ms`. The call itself is not
 * cancelled (a store call cannot be); a rejection that comes after the deadline is observed here,
 * so it is never reported as unhandled.
 */
export function within<T>(call: Promise<T> | (() => Promise<T> | T), ms: number, what: string): Promise<T> {
  const promise = typeof call === 'function' ? new Promise<T>((resolve) => resolve(call())) : call;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(MESSAGES.DEADLINE_EXCEEDED(what, ms))), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
