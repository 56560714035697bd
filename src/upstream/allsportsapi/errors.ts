/**
 * AllSportsAPI's refusals: its error envelope (HTTP 200 with `success` other than 1, FORMAT.md §2)
 * read into an `UpstreamError`, and a refused key in words an operator can act on.
 */
import { UpstreamError, redactApiKey, type ProviderMessage } from '../errors.js';
import { bounded, isRecord, preview } from './fields.js';

/** Provider messages kept from an error envelope, and the length each is cut to. */
const MAX_PROVIDER_MESSAGES = 5;
const MAX_PROVIDER_MESSAGE_LENGTH = 300;

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

function providerMessages(body: Record<string, unknown>): ProviderMessage[] {
  const messages: ProviderMessage[] = [];
  // Redacted before it is cut (a cut through a URL's credentials would hide them from the pattern);
  // only a message longer than 64 KB is cut first, far past anything that is kept.
  const clean = (text: string) => bounded(redactApiKey(text.slice(0, 64 * 1024)), MAX_PROVIDER_MESSAGE_LENGTH);
  const result = body['result'];
  if (Array.isArray(result)) {
    for (const entry of result) {
      if (messages.length >= MAX_PROVIDER_MESSAGES) break;
      if (isRecord(entry) && typeof entry['msg'] === 'string') {
        const cod = entry['cod'];
        const param = entry['param'];
        messages.push({
          // A provider message may echo the request URL, key included.
          msg: clean(entry['msg']),
          cod: typeof cod === 'number' || (typeof cod === 'string' && cod.length <= 40) ? cod : null,
          param: typeof param === 'string' ? bounded(param, 100) : null,
        });
      }
    }
  }
  for (const key of ['message', 'msg', 'error']) {
    const value = body[key];
    if (typeof value === 'string' && value !== '' && value !== '1' && messages.length === 0) {
      messages.push({ msg: clean(value), cod: null, param: null });
    }
  }
  return messages;
}

/**
 * An error envelope as an `UpstreamError` of kind `auth` or `provider_error` carrying the
 * provider's messages (redacted and cut short).
 */
export function refusal(body: Record<string, unknown>): UpstreamError {
  const messages = providerMessages(body);
  // 1004 "Wrong login credentials"; 1005 "The field is mandatory" only when the field is the key.
  const isAuth = messages.some(
    (m) =>
      String(m.cod) === '1004' ||
      (String(m.cod) === '1005' && /^apikey$/i.test(m.param ?? '')) ||
      /login|credential/i.test(m.msg),
  );
  const text = messages.length > 0 ? bounded(messages.map((m) => m.msg).join('; '), 2 * MAX_PROVIDER_MESSAGE_LENGTH) : 'no message';
  const detail = body['success'] === undefined ? 'success field missing' : `success is ${preview(body['success'])}`;
  return new UpstreamError(isAuth ? 'auth' : 'provider_error', `provider refused the request (${detail}): ${text}`, {
    providerMessages: messages,
  });
}
