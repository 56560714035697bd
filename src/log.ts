/**
 * Logging: pino, one JSON object per line by default, human-readable with LOG_FORMAT=pretty.
 * Every line passes through a scrubber that removes secrets (the API key, auth tokens) whatever
 * code path produced it — defence in depth behind the URL redaction in the upstream client.
 */
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { PrettyStream } from 'pino-pretty';
import type { Config, Env } from './config.js';
import { redactApiKey } from './redact.js';

export type { Logger };

export interface LineSink {
  write(line: string): void;
}

/**
 * Returns a function that replaces every secret (and its URL- and JSON-encoded forms) in a text.
 * The one scrubber: log lines (`scrubbingSink`) and start-up messages (`redactSecrets`) use it.
 */
function scrubber(secrets: readonly string[]): ((text: string) => string) | undefined {
  const variants = [
    ...new Set(
      secrets
        .filter((secret) => secret.length >= 4)
        .flatMap((secret) => [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]),
    ),
  ].sort((a, b) => b.length - a.length);
  if (variants.length === 0) return undefined;
  return (text: string) => {
    let clean = text;
    for (const variant of variants) {
      if (clean.includes(variant)) clean = clean.split(variant).join('[REDACTED]');
    }
    return clean;
  };
}

/** Returns a sink that replaces every secret (and its URL- and JSON-encoded forms) before writing. */
export function scrubbingSink(target: LineSink, secrets: readonly string[]): LineSink {
  const scrub = scrubber(secrets);
  if (scrub === undefined) return target;
  return {
    write(line: string) {
      target.write(scrub(line));
    },
  };
}

/**
 * A message printed without the logger (a configuration error, before there is one): every secret
 * removed (`secrets`, as the log scrubber does), and the credentials of any URL and any `APIkey=`
 * value (`redactApiKey`), whatever variable they came from.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const redacted = redactApiKey(text);
  return scrubber(secrets)?.(redacted) ?? redacted;
}

/**
 * The credentials of a URL (a proxy in ALLSPORTS_BASE_URL): `user:password` and the password
 * alone, each as written in the URL and decoded; a username alone when there is no password
 * (a token given as the username). A value that does not parse as a URL (a configuration error)
 * is read as text: whatever stands between `://` and the last `@` before the path.
 */
function urlCredentials(url: string): string[] {
  let username: string;
  let password: string;
  try {
    ({ username, password } = new URL(url));
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^\s]*)@/i.exec(url)?.[1];
    if (userinfo === undefined) return [];
    const colon = userinfo.indexOf(':');
    [username, password] = colon < 0 ? [userinfo, ''] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  }
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch (error) {
      if (error instanceof URIError) return text; // a stray '%': the text as written is what may leak
      throw error;
    }
  };
  const found = password === '' ? [username] : [`${username}:${password}`, password];
  return [...found, ...found.map(decode)].filter((secret) => secret !== '');
}

/** What holds a secret: the same for a loaded configuration and for the raw environment. */
interface SecretSources {
  readonly apiKey: string | undefined;
  /** The key of a provider the configuration does not use (PROVIDER chooses one): still a secret. */
  readonly otherApiKey?: string | undefined;
  readonly jwtSecret: string | undefined;
  readonly metricsToken: string | undefined;
  readonly tokens: readonly string[];
  /** URLs that may carry credentials. */
  readonly urls: ReadonlyArray<string | undefined>;
}

function secretsFrom(sources: SecretSources): string[] {
  return [
    sources.apiKey,
    sources.otherApiKey,
    sources.jwtSecret,
    sources.metricsToken,
    ...sources.tokens,
    ...sources.urls.flatMap((url) => (url === undefined ? [] : urlCredentials(url))),
  ].filter((secret): secret is string => secret !== undefined && secret !== '');
}

/** Secrets found in the configuration, for the scrubber. */
export function secretsOf(config: Config): string[] {
  return secretsFrom({
    apiKey: config.upstream.apiKey,
    jwtSecret: config.auth.jwtSecret,
    metricsToken: config.auth.metricsToken,
    tokens: config.auth.tokens,
    urls: [config.upstream.baseUrl, config.redis?.url],
  });
}

/**
 * Secrets found in the environment as given, for a message printed when it does not make a valid
 * configuration (there is no `Config` to read them from then).
 */
export function secretsOfEnv(env: Env): string[] {
  const value = (name: string) => env[name]?.trim();
  return secretsFrom({
    apiKey: value('ALLSPORTS_API_KEY'),
    otherApiKey: value('APIFOOTBALL_API_KEY'),
    jwtSecret: value('AUTH_JWT_SECRET'),
    metricsToken: value('METRICS_TOKEN'),
    tokens: (value('AUTH_TOKENS') ?? '').split(',').map((token) => token.trim()),
    urls: [value('ALLSPORTS_BASE_URL'), value('ALLSPORTS_WS_URL'), value('APIFOOTBALL_BASE_URL'), value('REDIS_URL')],
  });
}

/**
 * pino's error serializer, minus raw bytes: Node's `clientError` carries the malformed request as
 * `rawPacket` (a Buffer, logged as an array of numbers the text scrubber cannot recognise) with its
 * `Authorization` header and `?token=`. Raw packets and other byte buffers are never logged.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  // A copy: for a non-Error value the serializer returns the caller's own object.
  const safe: Record<string, unknown> = { ...(serialized as Record<string, unknown>) };
  for (const [key, value] of Object.entries(safe)) {
    if (key === 'rawPacket' || value instanceof Uint8Array || value instanceof ArrayBuffer) delete safe[key];
  }
  return safe;
}

export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  secrets: readonly string[],
  target: LineSink = process.stdout,
): Logger {
  const sink = scrubbingSink(target, secrets);
  const options = {
    level: config.logLevel,
    base: { service: 'football-streaming-core' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // fastify's loggers are children of this one and keep this serializer over their own.
    serializers: { err: serializeError },
  };
  if (config.logFormat === 'pretty') {
    // pino-pretty needs a real stream; this one hands each formatted line to the scrubbing sink.
    const destination = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        sink.write(chunk.toString());
        callback();
      },
    });
    // Loaded only for pretty logs (~40 ms of every process's start-up otherwise, JSON being the default).
    const pretty = createRequire(import.meta.url)('pino-pretty') as (options: Record<string, unknown>) => PrettyStream;
    const stream = pretty({
      destination,
      sync: true,
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    });
    return pino(options, stream);
  }
  return pino(options, sink);
}
