/**
 * The providers an end-to-end suite runs for (issue 21: "every existing end-to-end test runs for
 * both providers, one suite, two providers"): what a test needs to know to put the service behind
 * either one — the simulator renderer of its wire format, the service's environment to poll it, the
 * match id the service announces for a scripted match, and a stand-in serving a programmable
 * `LiveFeed` in its format. Provider-specific names (variables, query parameters) live here only.
 *
 * Use with `describe.each(PROVIDERS)('… ($name)', (provider) => …)`.
 */
import type { AfFixture } from '../../src/upstream/api-football/wire.js';
import type { WireMatch } from '../../src/upstream/allsportsapi/wire.js';
import type { SimRenderer } from '../../src/upstream/provider.js';
import type { ScriptedMatchInfo } from '../../src/sim/matchday.js';
import { allSportsApiSim } from '../../src/sim/render/allsportsapi/index.js';
import { apiFootballSimRenderer, listedLive, toApiFootballFixture } from '../../src/sim/render/api-football/index.js';
import { afEnvelope, startAfStandIn, type AfRequest, type AfStandIn } from './api-football-stand-in.js';
import { LiveFeed, type FeedHost } from './live-feed.js';
import { startStandIn, type CannedReply, type RecordedRequest, type StandIn } from './stand-in.js';

/**
 * A stand-in several nodes poll, each with its own API key, so the record of requests says which node
 * polled when (test/helpers/redis-nodes.ts).
 */
export interface PolledFeed {
  /** The service's environment to poll this stand-in with `key` (50 ms live and idle cadence). */
  envWithKey(key: string): Record<string, string>;
  /** The API key of every live-list request received, in arrival order. */
  livePollKeys(): string[];
}

export interface FeedStandIn extends PolledFeed {
  /** The programmable matchday every live poll answers. */
  readonly feed: LiveFeed;
  /** The service's environment to poll this stand-in (a test key, 50 ms live and idle cadence). */
  readonly env: Record<string, string>;
  /** Live-list requests received so far (AllSportsAPI `met=Livescore`, API-Football `live=`). */
  livePolls(): number;
  /** Resolves once `count` live-list requests were received in total. */
  waitForLivePolls(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderUnderTest {
  /** `PROVIDER` value, also the test title's `$name`. */
  readonly name: 'allsportsapi' | 'api-football';
  /** What `startSimServer({ renderer })` serves the scripted matchday with. */
  readonly renderer: SimRenderer;
  /**
   * The service's environment to poll the provider at `baseUrl` with a test key, every
   * `pollSecs` seconds, live or idle. Set explicitly, so no provider default applies (with a key,
   * POLL_INTERVAL_SECS defaults to 15 s, the ~15 s refresh of API-Football's feed; src/config.ts).
   */
  env(baseUrl: string, pollSecs: number): Record<string, string>;
  /** The `match_id` the service announces for a scripted match. */
  matchId(match: ScriptedMatchInfo): string;
  /** A stand-in of the provider serving a `LiveFeed` in its wire format. */
  startFeed(): Promise<FeedStandIn>;
}

const cadence = (pollSecs: number): Record<string, string> => ({
  POLL_INTERVAL_SECS: String(pollSecs),
  POLL_INTERVAL_IDLE_SECS: String(pollSecs),
});

/**
 * The feed's AllSportsAPI rendering, re-expressed as API-Football by the simulator's own converter
 * (so the two cannot drift apart): `live=` answers the listed matches still live, `ids=`/`id=` the
 * matches asked for (with line-ups), whatever their status; what `live=` lists is the simulator's own rule. Delays and truncated bodies are not
 * offered (none of the API-Football stand-in's replies can be late or cut).
 */
function apiFootballFeedHost(standIn: AfStandIn): FeedHost {
  type Handler = (request: RecordedRequest) => CannedReply;
  let livescore: Handler = () => ({});
  let fixtures: Handler = () => ({});
  const asked = (request: AfRequest, query: Record<string, string>): RecordedRequest => ({
    method: 'GET',
    url: `${request.path}?${request.query.toString()}`,
    query: new URLSearchParams(query),
    headers: request.headers,
  });
  const matchesOf = (reply: CannedReply): WireMatch[] => {
    if (reply.delayMs !== undefined || reply.truncateAt !== undefined || (reply.status ?? 200) !== 200) {
      throw new Error('API-Football feed stand-in: only plain answers are supported');
    }
    return ((reply.body as { result?: unknown[] } | undefined)?.result ?? []) as WireMatch[];
  };
  standIn.handle((request) => {
    const parameters = Object.fromEntries(request.query);
    if (request.query.has('live')) {
      const listed: AfFixture[] = matchesOf(livescore(asked(request, { met: 'Livescore' })))
        .filter(listedLive)
        .map((m) => toApiFootballFixture(m, 0, false));
      return { body: afEnvelope(listed, parameters) };
    }
    const ids = (request.query.get('ids') ?? request.query.get('id') ?? '').split('-').filter((id) => id !== '');
    const found = ids.flatMap((id) => matchesOf(fixtures(asked(request, { met: 'Fixtures', matchId: id }))));
    return { body: afEnvelope(found.map((m) => toApiFootballFixture(m, 0, true)), parameters) };
  });
  return {
    livescore(handler) {
      livescore = handler;
    },
    fixtures(handler) {
      fixtures = handler;
    },
  };
}

const allSportsApiEnv = (baseUrl: string, pollSecs: number, key = 'test-key'): Record<string, string> => ({
  ALLSPORTS_API_KEY: key,
  ALLSPORTS_BASE_URL: baseUrl,
  ...cadence(pollSecs),
});

const apiFootballEnv = (baseUrl: string, pollSecs: number, key = 'af-test-key'): Record<string, string> => ({
  PROVIDER: 'api-football',
  APIFOOTBALL_API_KEY: key,
  APIFOOTBALL_BASE_URL: baseUrl,
  ...cadence(pollSecs),
});

/** The cadence of the service polling a feed stand-in. */
const FEED_POLL_SECS = 0.05;

/** The AllSportsAPI stand-in as a feed several nodes poll, each with its own key (`APIkey`). */
export const allSportsApiPolled = (standIn: StandIn): PolledFeed => ({
  envWithKey: (key) => allSportsApiEnv(standIn.baseUrl, FEED_POLL_SECS, key),
  livePollKeys: () => standIn.requests.filter((r) => r.query.get('met') === 'Livescore').map((r) => String(r.query.get('APIkey'))),
});

export const ALLSPORTSAPI: ProviderUnderTest = {
  name: 'allsportsapi',
  renderer: allSportsApiSim,
  env: allSportsApiEnv,
  matchId: (match) => String(match.eventKey),
  async startFeed() {
    const standIn = await startStandIn();
    return {
      feed: new LiveFeed(standIn),
      env: allSportsApiEnv(standIn.baseUrl, FEED_POLL_SECS),
      ...allSportsApiPolled(standIn),
      livePolls: () => standIn.count('Livescore'),
      waitForLivePolls: (count, timeoutMs) => standIn.waitForRequests('Livescore', count, timeoutMs),
      close: () => standIn.close(),
    };
  },
};

export const API_FOOTBALL: ProviderUnderTest = {
  name: 'api-football',
  renderer: apiFootballSimRenderer,
  env: apiFootballEnv,
  // The renderer's `fixture.id` is the scripted match's `event_key` (toApiFootballFixture).
  matchId: (match) => String(match.eventKey),
  async startFeed() {
    const standIn = await startAfStandIn();
    return {
      feed: new LiveFeed(apiFootballFeedHost(standIn)),
      env: apiFootballEnv(standIn.baseUrl, FEED_POLL_SECS),
      envWithKey: (key) => apiFootballEnv(standIn.baseUrl, FEED_POLL_SECS, key),
      livePollKeys: () => standIn.requests.filter((r) => r.query.has('live')).map((r) => String(r.headers['x-apisports-key'])),
      livePolls: () => standIn.count('live'),
      waitForLivePolls: (count, timeoutMs) => standIn.waitFor('live', count, timeoutMs),
      close: () => standIn.close(),
    };
  },
};

export const PROVIDERS: readonly ProviderUnderTest[] = [ALLSPORTSAPI, API_FOOTBALL];
