/**
 * Logging: pino, one JSON object per line by default, human-readable with LOG_FORMAT=pretty.
 * Every line passes through a scrubber that removes secrets (the API key, auth tokens) whatever
 * code path produced it — defence in depth behind the URL redaction in the upstream client.
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config.js';

export type { Logger };

export interface LineSink {
  write(line: string): void;
}

/** Returns a sink that replaces every secret (and its URL- and JSON-encoded forms) before writing. */
export function scrubbingSink(target: LineSink, secrets: readonly string[]): LineSink {
  const variants = [
    ...new Set(
      secrets
        .filter((secret) => secret.length >= 4)
        .flatMap((secret) => [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]),
    ),
  ].sort((a, b) => b.length - a.length);
  if (variants.length === 0) return target;
  return {
    write(line: string) {
      let clean = line;
      for (const variant of variants) {
        if (clean.includes(variant)) clean = clean.split(variant).join('[REDACTED]');
      }
      target.write(clean);
    },
  };
}

/**
 * The credentials of a URL (a proxy in ALLSPORTS_BASE_URL): `user:password` and the password
 * alone, each as written in the URL and decoded; a username alone when there is no password
 * (a token given as the username).
 */
function urlCredentials(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    // loadConfig validated it; a URL that does not parse carries nothing to look for.
    if (error instanceof TypeError) return [];
    throw error;
  }
  const { username, password } = parsed;
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

/** Secrets found in the configuration, for the scrubber. */
export function secretsOf(config: Config): string[] {
  return [
    config.upstream.apiKey,
    config.auth.jwtSecret,
    config.auth.metricsToken,
    ...config.auth.tokens,
    ...urlCredentials(config.upstream.baseUrl),
    ...(config.redis === undefined ? [] : urlCredentials(config.redis.url)),
  ].filter((secret): secret is string => secret !== undefined);
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
