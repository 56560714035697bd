/**
 * A programmable matchday on top of the stand-in provider: the test changes matches (goals, cards,
 * substitutions, status) and every `met=Livescore` request answers the current state in the
 * provider's wire format; `met=Fixtures&matchId=` answers the match too, even once it left the live
 * list. `onPoll` runs before each Livescore answer, so a test can make the feed move on every poll.
 */
import type { CannedReply, RecordedRequest } from './stand-in.js';
import { wireCard, wireEnvelope, wireGoal, wireMatch, wireSub, type WireObject } from './wire.js';

type Side = 'home' | 'away';

/**
 * Where the feed answers from: the AllSportsAPI stand-in itself, or an adapter serving the same
 * answers in another provider's format (./providers.ts).
 */
export interface FeedHost {
  livescore(handler: (request: RecordedRequest) => CannedReply): void;
  fixtures(handler: (request: RecordedRequest) => CannedReply): void;
}

export interface FeedMatchSpec {
  readonly key: number;
  readonly home?: string;
  readonly away?: string;
  readonly homeKey?: number;
  readonly awayKey?: number;
  readonly leagueKey?: number;
  readonly league?: string;
  /** Provider `event_status`: `""` before kick-off, `"23"`, `"Half Time"`, `"Finished"`, … @default '1' */
  readonly status?: string;
}

interface FeedMatch {
  spec: { -readonly [K in keyof FeedMatchSpec]-?: FeedMatchSpec[K] };
  goals: Array<{ side: Side; minute: string; scorer: string }>;
  cards: Array<{ side: Side; minute: string; player: string; card: string }>;
  subs: Array<{ side: Side; minute: string; playerIn: string; playerOut: string }>;
  listed: boolean;
}

export class LiveFeed {
  private readonly matches = new Map<number, FeedMatch>();
  /** Runs before every Livescore answer (e.g. to add incidents on each poll). */
  onPoll: (() => void) | undefined = undefined;
  /** Livescore requests answered so far. */
  polls = 0;
  /**
   * Holds a Livescore answer back this many ms (undefined: at once). The answer is the feed as it
   * was when the request arrived, so a test can keep a poll in flight across a pause of its poller.
   */
  replyDelay: ((request: RecordedRequest) => number | undefined) | undefined = undefined;

  constructor(standIn: FeedHost) {
    standIn.livescore((request) => {
      this.onPoll?.();
      this.polls += 1;
      const delayMs = this.replyDelay?.(request);
      return {
        body: wireEnvelope(...[...this.matches.values()].filter((m) => m.listed).map(render)),
        ...(delayMs === undefined ? {} : { delayMs }),
      };
    });
    standIn.fixtures((request) => {
      const match = this.matches.get(Number(request.query.get('matchId')));
      return { body: wireEnvelope(...(match ? [render(match)] : [])) };
    });
  }

  add(spec: FeedMatchSpec): this {
    this.matches.set(spec.key, {
      spec: {
        home: `Home ${spec.key}`,
        away: `Away ${spec.key}`,
        homeKey: spec.key * 10 + 1,
        awayKey: spec.key * 10 + 2,
        leagueKey: 152,
        league: 'Premier League',
        status: '1',
        ...spec,
      },
      goals: [],
      cards: [],
      subs: [],
      listed: true,
    });
    return this;
  }

  private get(key: number): FeedMatch {
    const match = this.matches.get(key);
    if (match === undefined) throw new Error(`feed: no match ${key}`);
    return match;
  }

  goal(key: number, side: Side, minute: string, scorer: string): this {
    this.get(key).goals.push({ side, minute, scorer });
    return this;
  }

  card(key: number, side: Side, minute: string, player: string, card = 'yellow card'): this {
    this.get(key).cards.push({ side, minute, player, card });
    return this;
  }

  sub(key: number, side: Side, minute: string, playerIn: string, playerOut: string): this {
    this.get(key).subs.push({ side, minute, playerIn, playerOut });
    return this;
  }

  status(key: number, status: string): this {
    this.get(key).spec.status = status;
    return this;
  }

  /** Takes the match off the live list (Fixtures still knows it). */
  unlist(key: number): this {
    this.get(key).listed = false;
    return this;
  }

  /** Takes the match's last goal back (disallowed): answers from now on no longer show it. */
  disallowLastGoal(key: number): this {
    this.get(key).goals.pop();
    return this;
  }

  goalCount(key: number): number {
    return this.get(key).goals.length;
  }
}

function render(match: FeedMatch): WireObject {
  const { spec } = match;
  const running = { home: 0, away: 0 };
  const goals = match.goals.map((g) => {
    running[g.side] += 1;
    return wireGoal(g.side, g.minute, g.scorer, `${running.home} - ${running.away}`);
  });
  const started = spec.status !== '' && spec.status !== 'Postponed';
  return wireMatch({
    key: spec.key,
    home: spec.home,
    away: spec.away,
    homeKey: spec.homeKey,
    awayKey: spec.awayKey,
    leagueKey: spec.leagueKey,
    league: spec.league,
    status: spec.status,
    final: started ? `${running.home} - ${running.away}` : '-',
    goals,
    cards: match.cards.map((c) => wireCard(c.side, c.minute, c.player, c.card)),
    subs: match.subs.map((s) => wireSub(s.side, s.minute, s.playerIn, s.playerOut)),
  });
}
