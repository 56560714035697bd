/**
 * A refused key in words an operator can act on (issue 20): the variable to fix and the provider's
 * own codes and messages, from the real error bodies (test/fixtures/allsportsapi/error_*.json).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { UpstreamError } from '../../src/upstream/errors.js';
import { keyRefusedError } from '../../src/upstream/allsportsapi/errors.js';
import { parseReplyText } from '../../src/upstream/allsportsapi/parse.js';

function parsedError(fixture: string): UpstreamError {
  const parsed = parseReplyText(readFileSync(new URL(`../fixtures/allsportsapi/${fixture}`, import.meta.url), 'utf8'));
  if (parsed.ok) throw new Error(`${fixture} parsed as a success`);
  return parsed.error;
}

it('wrong credentials: names ALLSPORTS_API_KEY, the provider and its code and message', () => {
  const error = keyRefusedError(parsedError('error_wrong_credentials.json'), true);
  expect(error.kind).toBe('auth');
  expect(error.message).toBe('ALLSPORTS_API_KEY was refused by AllSportsAPI (1004 Wrong login credentials): check the key');
});

it('a missing key field: every provider message, in order', () => {
  const error = keyRefusedError(parsedError('error_missing_key.json'), true);
  expect(error.message).toBe('ALLSPORTS_API_KEY was refused by AllSportsAPI (1005 The field is mandatory; 1004 Wrong login credentials): check the key');
});

it('no key configured (a keyless ALLSPORTS_BASE_URL): says to set it', () => {
  const error = keyRefusedError(parsedError('error_missing_key.json'), false);
  expect(error.message).toBe('AllSportsAPI refused the request without a key (1005 The field is mandatory; 1004 Wrong login credentials): set ALLSPORTS_API_KEY');
});

it('a bare HTTP 401 names the status; a provider message is quoted bounded', () => {
  expect(keyRefusedError(new UpstreamError('auth', 'provider answered HTTP 401', { status: 401 }), true).message).toBe(
    'ALLSPORTS_API_KEY was refused by AllSportsAPI (HTTP 401): check the key',
  );
  const long = keyRefusedError(new UpstreamError('auth', 'x', { providerMessages: [{ msg: 'y'.repeat(5_000), cod: 1004, param: null }] }), true);
  expect(long.message.length).toBeLessThan(300);
});
