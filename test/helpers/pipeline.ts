/**
 * The production poll path on a fake provider: the real `PollingSource` and `Ingestor` over a
 * `MemoryEventStore` and a `LocalBus`, polled one `pollOnce()` at a time (no timers). The fake
 * provider answers with whatever bodies the test renders — the simulator's renderer, or a random
 * true matchday's wire (test/property/timeline.ts) — and reads them with the provider's own parser,
 * so what reaches the ingestor is exactly what a real reply would give. Property and simulator tests
 * drive this instead of a copy of the poll loop.
 */
import { LocalBus } from '../../src/bus/local-bus.js';
import type { MatchEvent, StoredEvent } from '../../src/domain/events.js';
import { err, ok, type Result } from '../../src/domain/result.js';
import { Ingestor } from '../../src/engine/ingestor.js';
import { MatchBook } from '../../src/engine/match-book.js';
import { PollingSource, type PollOutcome } from '../../src/engine/polling-source.js';
import { createLogger } from '../../src/log.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { UpstreamError, type UpstreamFailureKind } from '../../src/upstream/errors.js';
import type { LiveFeed, MatchSnapshot, ParsedReply, ProviderParser } from '../../src/upstream/provider.js';

/** A reply the fake provider sends: a decoded JSON body, raw text (maybe not JSON), or a failed request. */
export type FakeReply = { readonly body: unknown } | { readonly text: string } | { readonly fail: UpstreamFailureKind };

/** What the fake provider answers, asked at the moment of each request (a promise holds the reply back). */
export interface FakeReplies {
  livescore(): FakeReply | Promise<FakeReply>;
  fixture(matchId: string): FakeReply;
}

/** A provider client that answers from the test's renderer through the provider's parser. */
export class FakeProvider implements LiveFeed {
  /** Look-ups answered in the current poll: match id → whether the provider knew the match. */
  readonly lookups = new Map<string, 'found' | 'unknown' | 'failed'>();

  constructor(
    private readonly parser: ProviderParser,
    private readonly replies: FakeReplies,
  ) {}

  private read(reply: FakeReply): Result<ParsedReply, UpstreamError> {
    if ('fail' in reply) return err(new UpstreamError(reply.fail, `fake provider: request failed (${reply.fail})`));
    if ('body' in reply) return this.parser.parseReply(reply.body);
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      return err(new UpstreamError('bad_json', `fake provider: reply is not JSON (${reply.text.length} bytes)`));
    }
    return this.parser.parseReply(body);
  }

  async livescore(): Promise<Result<ParsedReply, UpstreamError>> {
    this.lookups.clear();
    return this.read(await this.replies.livescore());
  }

  fixture(matchId: string): Promise<Result<MatchSnapshot | undefined, UpstreamError>> {
    const reply = this.read(this.replies.fixture(matchId));
    if (!reply.ok) {
      this.lookups.set(matchId, 'failed');
      return Promise.resolve(reply);
    }
    const found = reply.value.matches.find((m) => m.matchId === matchId);
    this.lookups.set(matchId, found === undefined ? 'unknown' : 'found');
    return Promise.resolve(ok(found));
  }
}

/** A match event as detection produced it: the stored frame without `seq`, `timestamp` and the commit-time `clock`. */
export function matchEventOf(stored: StoredEvent): MatchEvent {
  const frame = JSON.parse(stored.json) as Record<string, unknown> & { event?: Record<string, unknown> };
  const { seq: _seq, timestamp: _timestamp, clock: _clock, ...event } = frame.event ?? frame;
  return event as unknown as MatchEvent;
}

export interface Pipeline {
  readonly book: MatchBook;
  readonly ingestor: Ingestor;
  readonly source: PollingSource;
  readonly store: MemoryEventStore;
  /** One poll, as the service's timer would run it; the events it committed, as detection produced them. */
  poll(): Promise<{ readonly outcome: PollOutcome; readonly events: MatchEvent[] }>;
  stop(): Promise<void>;
}

const silent = { write: (): boolean => true };

export function startPipeline(feed: LiveFeed, options: { readonly missingPollsBeforeEnd: number }): Pipeline {
  const store = new MemoryEventStore();
  const book = new MatchBook();
  const logger = createLogger({ logLevel: 'error', logFormat: 'json' }, [], silent);
  const ingestor = new Ingestor({
    book,
    store,
    bus: new LocalBus(),
    logger,
    missingPollsBeforeEnd: options.missingPollsBeforeEnd,
    historyRetentionHours: 24 * 365,
  });
  // Never started: each poll is one pollOnce(). A long interval keeps every look-up in its poll.
  const source = new PollingSource({ feed, ingestor, book, logger, pollIntervalMs: 3_600_000, pollIdleIntervalMs: 3_600_000 });
  return {
    book,
    ingestor,
    source,
    store,
    async poll() {
      const outcome = await source.pollOnce();
      return { outcome, events: outcome.ok ? outcome.events.map(matchEventOf) : [] };
    },
    async stop() {
      await source.stop();
      await ingestor.stop();
      await store.close();
    },
  };
}
