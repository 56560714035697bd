/** AllSportsAPI's refusals in words an operator can act on: which variable to fix. */
import { UpstreamError } from '../errors.js';

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
