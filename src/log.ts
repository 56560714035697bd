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

/** Secrets found in the configuration, for the scrubber. */
export function secretsOf(config: Config): string[] {
  return [
    config.upstream.apiKey,
    config.auth.jwtSecret,
    config.auth.metricsToken,
    ...config.auth.tokens,
  ].filter((secret): secret is string => secret !== undefined);
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
