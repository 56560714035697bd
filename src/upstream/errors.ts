/**
 * Everything that can go wrong with one upstream request, as one catalogue of coded errors.
 * Messages never contain the API key: URLs are redacted before they reach an error.
 */

import { UpstreamError } from '../errors.js';

/** Why a poll failed; also the `kind` label of the upstream failure metric. */
export const UPSTREAM_FAILURE_KINDS = [
  'network',
  'timeout',
  'http_5xx',
  'http_4xx',
  'rate_limited',
  'auth',
  'provider_error',
  'bad_json',
  'bad_format',
  'circuit_open',
] as const;
export type UpstreamFailureKind = (typeof UPSTREAM_FAILURE_KINDS)[number];

/** One error object from the provider's error envelope. */
export interface ProviderMessage {
  readonly msg: string;
  readonly cod: number | string | null;
  readonly param: string | null;
}

/** Defined in the error catalogue (src/errors.ts); re-exported for the provider code that raises it. */
export { UpstreamError } from '../errors.js';
export { redactApiKey, redactUrlCredentials } from '../redact.js';

/** Longest provider message quoted in an error (a provider may send anything). */
const MAX_QUOTED_MESSAGE = 200;

/**
 * What an operator reads when the provider refuses the key: the variable to fix, and the provider's
 * own codes and messages, e.g. `ALLSPORTS_API_KEY was refused by AllSportsAPI (1004 Wrong login
 * credentials): check the key`. Without provider messages (a bare HTTP 401/403) the status stands in
 * for them; without a key at all (a keyless ALLSPORTS_BASE_URL) the advice is to set one.
 */
export function keyRefusedError(error: UpstreamError, keySet: boolean): UpstreamError {
  const messages = error.details.providerMessages ?? [];
  const quoted = messages
    .map((m) => {
      const text = m.msg.length > MAX_QUOTED_MESSAGE ? `${m.msg.slice(0, MAX_QUOTED_MESSAGE)}…` : m.msg;
      return m.cod === null || m.cod === '' ? text : `${String(m.cod).slice(0, 20)} ${text}`;
    })
    .join('; ');
  const why = quoted !== '' ? quoted : error.details.status !== undefined ? `HTTP ${error.details.status}` : 'no reason given';
  const message = keySet
    ? `ALLSPORTS_API_KEY was refused by AllSportsAPI (${why}): check the key`
    : `AllSportsAPI refused the request without a key (${why}): set ALLSPORTS_API_KEY`;
  return new UpstreamError('auth', message, { ...error.details, cause: error });
}
