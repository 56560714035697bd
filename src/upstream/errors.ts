/**
 * Everything that can go wrong with one upstream request: the failure kinds (the class, with its
 * code, is in the error catalogue, src/errors.ts). Messages never contain the API key: URLs are
 * redacted before they reach an error.
 */

/** Why a poll failed; also the `kind` label of the upstream failure metric. */
export const UPSTREAM_FAILURE_KINDS = [
  'network',
  'timeout',
  'http_5xx',
  'http_4xx',
  'rate_limited',
  /** The provider's daily request quota is used up (API-Football `errors.requests`): nothing until it resets. */
  'quota',
  /** The provider's plan refuses a parameter (API-Football `errors.plan`, e.g. `ids` on the Free plan). */
  'plan',
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
