/**
 * The error catalogue (src/errors.ts, after fastify's lib/errors.js): one table of codes, one
 * class per code, each error carrying its stable `code`; no other module under src/ defines an
 * error class; messages and logged fields stay what they were before the catalogue.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ConfigError as ConfigErrorFromConfig } from '../../src/config.js';
import { ERROR_CODES, ERRORS, hasCode, MESSAGES, type CodedError, type ErrorCode } from '../../src/errors.js';
import { DataDirInUseError } from '../../src/store/data-dir-lock.js';
import { within } from '../../src/store/deadline.js';
import { FencedError } from '../../src/store/types.js';
import { UpstreamError } from '../../src/upstream/errors.js';

/** One instance of each code's class, built as the code that raises it does. */
const samples: Record<ErrorCode, CodedError> = {
  CONFIG_INVALID: new ERRORS.CONFIG_INVALID('PORT', 'expected a number'),
  DATA_DIR_IN_USE: new ERRORS.DATA_DIR_IN_USE('/data'),
  STORE_CORRUPT: new ERRORS.STORE_CORRUPT('the head counter is damaged'),
  STORE_UNAVAILABLE: new ERRORS.STORE_UNAVAILABLE('commit refused: Redis is not connected'),
  STORE_CLOSED: new ERRORS.STORE_CLOSED(),
  STORE_FAILED: new ERRORS.STORE_FAILED('disk full'),
  FENCED: new ERRORS.FENCED(),
  DEADLINE_EXCEEDED: new ERRORS.DEADLINE_EXCEEDED('the store did not answer within 5 ms'),
  BUS_RESET_UNHANDLED: new ERRORS.BUS_RESET_UNHANDLED('bus subscription stopped'),
  HISTORY_CHANGED: new ERRORS.HISTORY_CHANGED('the history changed under a read'),
  IPC_MALFORMED_BATCH: new ERRORS.IPC_MALFORMED_BATCH('not a batch'),
  UPSTREAM_FAILED: new ERRORS.UPSTREAM_FAILED('timeout', 'timed out'),
  UPSTREAM_BAD_FORMAT: new ERRORS.UPSTREAM_BAD_FORMAT('result[0].event_key: missing'),
  INVALID_PARAMETER: new ERRORS.INVALID_PARAMETER('since', 'since: expected a non-negative integer'),
};

it('every code has one class, and every instance carries its code', () => {
  expect(Object.keys(ERRORS).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  for (const [code, error] of Object.entries(samples) as Array<[ErrorCode, CodedError]>) {
    expect(error).toBeInstanceOf(ERRORS[code]);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(hasCode(error, code)).toBe(true);
  }
  expect(new Set(Object.values(ERRORS)).size).toBe(Object.keys(ERRORS).length);
  expect(hasCode(new Error('plain'), 'FENCED')).toBe(false);
});

it('the modules that raise an error re-export the catalogue class, not a copy', () => {
  expect(ConfigErrorFromConfig).toBe(ERRORS.CONFIG_INVALID);
  expect(DataDirInUseError).toBe(ERRORS.DATA_DIR_IN_USE);
  expect(FencedError).toBe(ERRORS.FENCED);
  expect(UpstreamError).toBe(ERRORS.UPSTREAM_FAILED);
});

it('messages and names are the ones callers, logs and tests already read', async () => {
  expect(new DataDirInUseError('/srv/data').message).toBe(
    'DATA_DIR /srv/data is in use by another running instance: stop it, or give this instance its own DATA_DIR',
  );
  expect(new FencedError().message).toBe('commit refused: this process is no longer the writer (fencing token superseded)');
  expect(samples.STORE_CLOSED.message).toBe('the Redis event store is closed');
  expect(MESSAGES.DEADLINE_EXCEEDED('the store', 5)).toBe('the store did not answer within 5 ms');
  await expect(within(new Promise(() => undefined), 5, 'the store')).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: 'the store did not answer within 5 ms' });
  // Secrets never reach a ConfigError's message, whoever built it.
  expect(new ERRORS.CONFIG_INVALID('ALLSPORTS_BASE_URL', 'got "https://u:secret@h/?APIkey=k1"').message).toBe(
    'ALLSPORTS_BASE_URL: got "https://REDACTED@h/?APIkey=REDACTED"',
  );
  for (const error of Object.values(samples)) expect(error.name).toBe(error.constructor.name);
});

it('errors that had no code before log exactly the fields they logged before (code is on the prototype)', () => {
  const keys = (error: Error) => Object.keys(error).sort();
  expect(keys(samples.CONFIG_INVALID)).toEqual(['name', 'variable']);
  expect(keys(samples.UPSTREAM_FAILED)).toEqual(['details', 'kind', 'name']);
  expect(keys(samples.STORE_FAILED)).toEqual(['details', 'kind', 'name']);
  expect(keys(samples.FENCED)).toEqual(['name']);
  expect(keys(samples.INVALID_PARAMETER)).toEqual(['name', 'parameter']);
  // Those that had a code field keep it.
  expect(keys(samples.DATA_DIR_IN_USE)).toEqual(['code', 'dataDir', 'name']);
  expect(keys(samples.DEADLINE_EXCEEDED)).toEqual(['code', 'name']);
  // fastify sets code on an error a validator returns: it may (it keeps its own, being set).
  const wrapped = new ERRORS.INVALID_PARAMETER('since', 'since: bad') as CodedError & { code: string };
  wrapped.code = wrapped.code || 'FST_ERR_VALIDATION';
  expect(wrapped.code).toBe('INVALID_PARAMETER');
});

it('no module under src/ but errors.ts defines an error class', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const src = join(root, 'src');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
  const defining = files(src).filter((file) => relative(src, file) !== 'errors.ts' && /class\s+\w+\s+extends\s+(?:\w*Error)\b/.test(readFileSync(file, 'utf8')));
  expect(defining.map((file) => relative(root, file))).toEqual([]);
});
