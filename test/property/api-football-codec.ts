/**
 * The random matchdays of timeline.ts in API-Football's wire format: each AllSportsAPI match object
 * the driver lists is re-expressed as an API-Football fixture by the simulator's converter
 * (src/sim/render/api-football: status codes with elapsed/extra, events with the second yellow as a
 * yellow+red pair, substitutions as player = off / assist = on, VAR "Goal cancelled" events), then
 * read by API-Football's parser. Which matches a reply lists stays the driver's (its look-ups confirm
 * ends either way); line-ups (coaches) are included as `id=` answers carry them, so the oracle's
 * coach flags hold for both providers. Faulty replies are API-Football's own: an `errors` object in
 * a 200 body (token, rateLimit), a cut body, an HTML error page.
 */
import { toApiFootballFixture } from '../../src/sim/render/api-football/index.js';
import type { WireMatch } from '../../src/upstream/allsportsapi/wire.js';
import { apiFootballParser } from '../../src/upstream/api-football/parser.js';
import { afEnvelope, afErrors } from '../helpers/api-football-stand-in.js';
import type { ReplyCodec } from './timeline.js';

type Sub = { in: string; out: string; in_id: number; out_id: number };

/**
 * The fixture with line-ups whose starting XI holds the players substituted off and whose bench holds
 * those who came on. The generated truths are not physically consistent (a player may "score" after
 * going off), so the clues API-Football's parser reads from earlier events would mislead it here;
 * the line-ups, which `id=` answers carry, settle every direction as they do for a real match. The
 * other clues are covered by test/unit/api-football/quirks.test.ts.
 */
function fixtureOf(wire: WireMatch): unknown {
  const fixture = toApiFootballFixture(wire, 0, true);
  const subs = wire.substitutes.flatMap((s) => [s.home_scorer, s.away_scorer]).filter((p): p is Sub => !Array.isArray(p));
  const ref = (id: number, name: string) => ({ player: { id: id === 0 ? null : id, name, number: null, pos: null, grid: null } });
  const lineups = (fixture.lineups ?? []).map((lineup, index) => {
    const side = index === 0 ? wire.substitutes.filter((s) => !Array.isArray(s.home_scorer)) : wire.substitutes.filter((s) => !Array.isArray(s.away_scorer));
    const players = side.map((s) => (index === 0 ? s.home_scorer : s.away_scorer) as Sub);
    return { ...lineup, startXI: players.map((p) => ref(p.out_id, p.out)), substitutes: players.map((p) => ref(p.in_id, p.in)) };
  });
  return subs.length === 0 ? fixture : { ...fixture, lineups };
}

export const apiFootballCodec: ReplyCodec = {
  name: 'api-football',
  reply: (wires) => JSON.parse(JSON.stringify(afEnvelope(wires.map((w) => fixtureOf(w as unknown as WireMatch))))),
  parser: apiFootballParser,
  faulty(variant, wires) {
    switch (variant % 4) {
      case 0:
        return JSON.stringify(afErrors({ token: 'Error/Missing application key. Go to https://www.api-football.com/documentation-v3 to learn how to get your API application key.' }));
      case 1: {
        const text = JSON.stringify(this.reply(wires));
        return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      }
      case 2:
        return JSON.stringify(afErrors({ rateLimit: 'Too many requests. Your rate limit is 10 requests per minute.' }));
      default:
        return '<html><body>502 Bad Gateway</body></html>';
    }
  },
  // API-Football's second yellow is a red (flagged second_yellow), never a "yellowred card".
  cardType: (card) => (card.includes('red') ? 'red card' : 'yellow card'),
  // No per-goal running score in API-Football: two goals shown at one minute have no order.
  goalRunningScore: false,
};
