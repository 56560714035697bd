/**
 * Several nodes of one deployment on one Redis (issue 9 §2), as real processes (`dist/main.js`)
 * polling one stand-in provider. Each node polls with its own API key, so the stand-in's record of
 * requests says which node polled when: the provider's view of "one poller at a time".
 */
import { expect } from 'vitest';
import { startServiceProcess, type ListeningService } from './process.js';
import { ResumingClient, fullReplay, streamOf } from './resuming-client.js';
import { waitFor } from './redis-server.js';
import { allSportsApiPolled, type PolledFeed } from './providers.js';
import type { StandIn } from './stand-in.js';
import type { Message } from './ws-client.js';

/** The AllSportsAPI stand-in as a feed polled by several nodes, or such a feed of either provider (./providers.ts). */
type Polled = StandIn | PolledFeed;
const polledFeed = (feed: Polled): PolledFeed => ('livePollKeys' in feed ? feed : allSportsApiPolled(feed));

export interface RedisNode extends ListeningService {
  /** The API key this node polls with (AllSportsAPI's `APIkey` query parameter, API-Football's `x-apisports-key` header). */
  readonly key: string;
}

export interface NodeHealth {
  readonly status: string;
  readonly node_id: string;
  readonly role: 'leader' | 'follower';
  readonly redis: { readonly connected: boolean; readonly latency_ms: number | null };
  readonly store: { readonly epoch?: string; readonly latest_seq?: number };
}

/** Starts `count` nodes on `redisUrl` under `prefix`, each polling `standIn` with its own key. */
export async function startNodes(
  count: number,
  standIn: Polled,
  env: { redisUrl: string; prefix: string; leaseSecs: number; extra?: Record<string, string> },
): Promise<RedisNode[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const key = `node-${i}-key`;
      const node = await startServiceProcess({
        ...polledFeed(standIn).envWithKey(key),
        REDIS_URL: env.redisUrl,
        REDIS_PREFIX: env.prefix,
        LEADER_LEASE_SECS: String(env.leaseSecs),
        ...env.extra,
      });
      return { ...node, key };
    }),
  );
}

/** `/health` of a node; undefined when it does not answer within 2 s (paused, dead). */
export async function healthOf(node: ListeningService): Promise<NodeHealth | undefined> {
  try {
    const response = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(2_000), headers: { connection: 'close' } });
    return (await response.json()) as NodeHealth;
  } catch {
    // Paused or dead: the caller waits for another answer.
    return undefined;
  }
}

/** Waits until exactly one of `nodes` says it is the leader, and returns it. */
export async function leaderOf(nodes: readonly RedisNode[], timeoutMs = 10_000): Promise<RedisNode> {
  let leader: RedisNode | undefined;
  await waitFor(
    async () => {
      const roles = await Promise.all(nodes.map(async (node) => (await healthOf(node))?.role));
      const leaders = nodes.filter((_, i) => roles[i] === 'leader');
      leader = leaders.length === 1 ? leaders[0] : undefined;
      return leader !== undefined;
    },
    'exactly one leader',
    timeoutMs,
  );
  return leader as RedisNode;
}

/** The API key of every live-list request (AllSportsAPI Livescore) the stand-in received, in arrival order. */
export function pollers(standIn: Polled): string[] {
  return polledFeed(standIn).livePollKeys();
}

/** Consecutive requests of the same poller collapsed: the succession of pollers the provider saw. */
export function pollerRuns(keys: readonly string[]): string[] {
  return keys.filter((key, i) => i === 0 || keys[i - 1] !== key);
}

/** Resolves once the stand-in received a Livescore request whose key passes `predicate`; returns its index. */
export async function firstPollBy(standIn: Polled, predicate: (key: string) => boolean, timeoutMs: number, from = 0): Promise<number> {
  let index = -1;
  await waitFor(
    () => {
      index = pollers(standIn).findIndex((key, i) => i >= from && predicate(key));
      return index >= 0;
    },
    'a poll by another node',
    timeoutMs,
  );
  return index;
}

/**
 * Opens `perNode` resuming clients on each node; a client's URL list starts at its node and goes on
 * to the next ones, so after losing its node it resumes on another.
 */
export async function clientsOn(nodes: readonly ListeningService[], perNode: number): Promise<Array<{ client: ResumingClient; node: ListeningService }>> {
  const opened: Array<{ client: ResumingClient; node: ListeningService }> = [];
  for (let i = 0; i < nodes.length; i += 1) {
    const urls = nodes.map((_, j) => (nodes[(i + j) % nodes.length] as ListeningService).wsUrl);
    for (let k = 0; k < perNode; k += 1) opened.push({ client: await ResumingClient.open(urls), node: nodes[i] as ListeningService });
  }
  return opened;
}

/**
 * Asserts that each client's stream, from the first event it received on, is exactly the full
 * replay's (same seqs, event ids, order: nothing twice, no gap), and returns the replay.
 */
export async function expectFullReplay(replayFrom: ListeningService, clients: readonly ResumingClient[], through: number): Promise<Message[]> {
  const replay = await fullReplay(replayFrom.url, through);
  expect(new Set(replay.map((event) => event['event_id'])).size).toBe(replay.length);
  for (const client of clients) {
    const events = client.eventsOfEpoch();
    const from = Number(events[0]?.['seq']);
    expect(streamOf(events)).toEqual(streamOf(replay.filter((event) => Number(event['seq']) >= from)));
  }
  return replay;
}

/** Log lines (parsed JSON) a process printed from character `from` of its output on. */
export function logLines(node: ListeningService, from = 0): Array<Record<string, unknown>> {
  return node
    .output()
    .slice(from)
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        // The line still being written: not a log line yet.
        return [];
      }
    });
}
