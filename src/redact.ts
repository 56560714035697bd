/**
 * Redaction of secrets in text that may reach a log line or an error: URL credentials and the
 * AllSportsAPI `APIkey=` parameter. No imports: the error catalogue and the config use it.
 */

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
