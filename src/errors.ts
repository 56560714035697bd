/**
 * The catalogue of this service's errors, after fastify's `lib/errors.js`: every error raised on
 * purpose is one of the classes below, each with a stable `code` callers and tests match on
 * (`error.code === 'DATA_DIR_IN_USE'`) rather than on its message. `ERROR_CODES` lists them with
 * what each means; `MESSAGES` holds the messages that are fixed.
 *
 * Classes that had a `code` field before keep it as an own field (log lines show it, as before);
 * the others carry it on their prototype, so their log lines are unchanged. Modules that raised an
 * error before re-export its class from here, so existing imports keep working.
 */
import { redactApiKey } from './redact.js';
import type { ProviderMessage, UpstreamFailureKind } from './upstream/errors.js';

/** Every code, with what it means. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'An environment variable has a value it does not accept; the message names it.',
  DATA_DIR_IN_USE: 'Another running instance holds the DATA_DIR lock.',
  STORE_CORRUPT: "A value the store keeps for itself is damaged: reads and commits fail until it is repaired.",
  STORE_UNAVAILABLE: 'Redis refused a commit because it is not reachable (nothing is queued for later).',
  STORE_CLOSED: 'The store was used after it was closed.',
  STORE_FAILED: 'The store refused or failed a commit: nothing was published; the next observation retries.',
  FENCED: 'A commit refused because its fencing token is no longer the current writer’s.',
  DEADLINE_EXCEEDED: 'A store (or Redis) call did not settle in time.',
  BUS_RESET_UNHANDLED: 'A bus subscription had to skip and nobody handles resets: it stopped.',
  HISTORY_CHANGED: 'The history changed under a read (its retained start stopped agreeing with its pages).',
  IPC_MALFORMED_BATCH: 'A batch relayed between workers is not what the writer sends: dropped, and reported.',
  UPSTREAM_FAILED: 'One upstream request failed; `kind` says how (network, timeout, http_5xx, …).',
  UPSTREAM_BAD_FORMAT: 'A provider object does not have the shape the parser expects; the message names the path (the parser refuses the reply, or drops and counts the item holding it).',
  INVALID_PARAMETER: 'A request parameter is invalid; `parameter` names it (HTTP 400 INVALID_PARAMETER).',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Messages that do not depend on the caller, and the factories of those that depend on a value. */
export const MESSAGES = {
  DATA_DIR_IN_USE: (dataDir: string) =>
    `DATA_DIR ${dataDir} is in use by another running instance: stop it, or give this instance its own DATA_DIR`,
  STORE_CLOSED: 'the Redis event store is closed',
  FENCED: 'commit refused: this process is no longer the writer (fencing token superseded)',
  DEADLINE_EXCEEDED: (what: string, ms: number) => `${what} did not answer within ${ms} ms`,
} as const;

/** What every catalogued error has. */
export interface CodedError extends Error {
  readonly code: ErrorCode;
}

/**
 * An invalid variable. Its message never carries a secret: the credentials of any URL and any
 * `APIkey=` value in it are redacted, whichever path built it (a URL that fails to parse is shown).
 */
export class ConfigError extends Error implements CodedError {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(redactApiKey(`${variable}: ${message}`));
  }

  declare readonly code: 'CONFIG_INVALID';
}

/** Why start-up was refused; `code` is stable for callers (main.ts prints the message alone). */
export class DataDirInUseError extends Error implements CodedError {
  override readonly name = 'DataDirInUseError';
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    /** The directory, as an absolute path. */
    readonly dataDir: string,
    options?: { cause?: unknown },
  ) {
    super(MESSAGES.DATA_DIR_IN_USE(dataDir), options);
  }
}

/** A value the store keeps for itself (a counter, the epoch) is damaged: reads and commits fail until it is repaired. */
export class StoreCorruptError extends Error implements CodedError {
  override readonly name = 'StoreCorruptError';
  readonly code = 'STORE_CORRUPT';
}

/** Commit, refused by Redis when the store is not reachable (no queued, late writes). */
export class StoreUnavailableError extends Error implements CodedError {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends Error implements CodedError {
  override readonly name = 'StoreClosedError';
  readonly code = 'STORE_CLOSED';
  constructor() {
    super(MESSAGES.STORE_CLOSED);
  }
}

/** The store refused or failed a commit: nothing was published; the next observation retries. */
export class StoreError extends Error implements CodedError {
  override readonly name = 'StoreError';
  readonly kind = 'store' as const;
  readonly details: { readonly retryAfterMs?: number } = {};
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  declare readonly code: 'STORE_FAILED';
}

/** A commit refused because its fencing token is no longer the current writer's. */
export class FencedError extends Error implements CodedError {
  override readonly name = 'FencedError';
  constructor(message: string = MESSAGES.FENCED) {
    super(message);
  }

  declare readonly code: 'FENCED';
}

/** The call did not settle in time; it may still complete (or fail) later, unobserved. */
export class DeadlineError extends Error implements CodedError {
  override readonly name = 'DeadlineError';
  readonly code = 'DEADLINE_EXCEEDED';
}

/** The subscription had to skip and nobody handles resets: it stopped rather than leave a silent gap. */
export class BusResetUnhandledError extends Error implements CodedError {
  override readonly name = 'BusResetUnhandledError';
  readonly code = 'BUS_RESET_UNHANDLED';
}

/** The history changed under a read (its retained start stopped agreeing with its pages). */
export class HistoryChangedError extends Error implements CodedError {
  override readonly name = 'HistoryChangedError';
  readonly code = 'HISTORY_CHANGED';
}

/** A relayed batch that is not what the writer sends: dropped, and reported to the bus's `onError`. */
export class MalformedBatchError extends Error implements CodedError {
  override readonly name = 'MalformedBatchError';
  readonly code = 'IPC_MALFORMED_BATCH';
}

/** One upstream request failed; `kind` (the failure metric's label) says how. */
export class UpstreamError extends Error implements CodedError {
  override readonly name = 'UpstreamError';
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    readonly details: {
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly providerMessages?: readonly ProviderMessage[];
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  declare readonly code: 'UPSTREAM_FAILED';

  /** Network errors, timeouts and HTTP 5xx may succeed on a retry; the provider's refusals will not. */
  get transient(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || this.kind === 'http_5xx';
  }
}

/**
 * Inside a parser: a provider object is not shaped as expected (reported as an `UpstreamError` of
 * kind `bad_format`, or the item holding it dropped and counted where one item may go alone).
 */
export class UpstreamFormatError extends Error implements CodedError {
  override readonly name = 'UpstreamFormatError';
  declare readonly code: 'UPSTREAM_BAD_FORMAT';
}

/** A request parameter (REST query, SSE query or `Last-Event-ID`) is invalid: HTTP 400 naming it. */
export class InvalidParameterError extends Error implements CodedError {
  override readonly name = 'InvalidParameterError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }

  declare readonly code: 'INVALID_PARAMETER';
}

/**
 * `code` of the classes that had none before the catalogue: on the prototype, not an own field, so
 * their log lines (which show own fields) stay as they were; writable, as fastify sets `code` on
 * an error a validator returns.
 */
function codeOnPrototype(errorClass: abstract new (...args: never[]) => Error, code: ErrorCode): void {
  Object.defineProperty(errorClass.prototype, 'code', { value: code, writable: true, enumerable: false, configurable: true });
}
codeOnPrototype(ConfigError, 'CONFIG_INVALID');
codeOnPrototype(StoreError, 'STORE_FAILED');
codeOnPrototype(FencedError, 'FENCED');
codeOnPrototype(UpstreamError, 'UPSTREAM_FAILED');
codeOnPrototype(UpstreamFormatError, 'UPSTREAM_BAD_FORMAT');
codeOnPrototype(InvalidParameterError, 'INVALID_PARAMETER');

/** The class of each code (`instanceof` works on each). */
export const ERRORS = {
  CONFIG_INVALID: ConfigError,
  DATA_DIR_IN_USE: DataDirInUseError,
  STORE_CORRUPT: StoreCorruptError,
  STORE_UNAVAILABLE: StoreUnavailableError,
  STORE_CLOSED: StoreClosedError,
  STORE_FAILED: StoreError,
  FENCED: FencedError,
  DEADLINE_EXCEEDED: DeadlineError,
  BUS_RESET_UNHANDLED: BusResetUnhandledError,
  HISTORY_CHANGED: HistoryChangedError,
  IPC_MALFORMED_BATCH: MalformedBatchError,
  UPSTREAM_FAILED: UpstreamError,
  UPSTREAM_BAD_FORMAT: UpstreamFormatError,
  INVALID_PARAMETER: InvalidParameterError,
} as const satisfies Record<ErrorCode, abstract new (...args: never[]) => CodedError>;

/** Whether `error` is one of the catalogue's, with this code. */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof Error && (error as Partial<CodedError>).code === code;
}
