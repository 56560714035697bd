/**
 * Everything that can go wrong with one upstream request, as one catalogue of coded errors.
 * Messages never contain the API key: URLs are redacted before they reach an error.
 */

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

export class UpstreamError extends Error {
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

  /** Network errors, timeouts and HTTP 5xx may succeed on a retry; the provider's refusals will not. */
  get transient(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || this.kind === 'http_5xx';
  }
}

/**
 * Replaces the credentials of every URL in `text` (`http://user:password@host` becomes
 * `http://REDACTED@host`): a proxy given in ALLSPORTS_BASE_URL may carry them. Everything up to
 * the last `@` of the authority goes, as a URL parser reads it: a password with a raw `@` in it
 * (`http://u:p@ss@host`, as an operator may type it) is redacted whole, not cut at its first `@`.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s"'<>?#]*@/gi, '$1REDACTED@');
}

/**
 * Replaces the value of `APIkey` (any case) in a URL or any text that carries one, and the
 * credentials of any URL in it (`redactUrlCredentials`): wherever the key is redacted, so are they.
 */
export function redactApiKey(text: string): string {
  return redactUrlCredentials(text.replace(/(apikey=)[^&\s"']*/gi, '$1REDACTED'));
}
