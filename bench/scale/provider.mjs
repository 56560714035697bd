// A stand-in AllSportsAPI for the scale benchmark (loopback, port 0): a live match whose goals the
// benchmark adds on demand (a new match kicks off once one has 150 goals: the service refuses a match
// with more than 200 goalscorers as malformed, and a run adds ~80 goals per step), so the server's next poll detects and commits them (poll -> detect ->
// commit -> fan-out). Kept inside bench/ so the benchmark does not depend on test code.
import { createServer } from 'node:http';

const goalRow = (n) => ({
  time: String(10 + (n % 80)),
  home_scorer: `Scorer ${n}`,
  home_scorer_id: '',
  home_assist: '',
  home_assist_id: '',
  score: `${n} - 0`,
  away_scorer: '',
  away_scorer_id: '',
  away_assist: '',
  away_assist_id: '',
  info: '',
  info_time: n % 80 <= 35 ? '1st Half' : '2nd Half',
});

// The score line stays 0 - 0: each goal is then exactly one event (GOAL_SCORED, no SCORE_UPDATE),
// so a poll that sees k new goals is a burst of exactly k events.
const finalResult = () => '0 - 0';

const matchRow = (goals, index) => ({
  event_key: 1204101 + index,
  event_date: '2026-11-29',
  event_time: '15:00',
  event_home_team: 'Harrowgate Town',
  home_team_key: 7301,
  event_away_team: 'Castleford Rovers',
  away_team_key: 7302,
  event_halftime_result: '',
  event_final_result: finalResult(goals),
  event_ft_result: '',
  event_penalty_result: '',
  event_status: '30',
  country_name: 'England',
  league_name: 'Premier League',
  league_key: 9152,
  league_round: 'Round 1',
  league_season: '2026/2027',
  event_live: '1',
  event_stadium: 'Stadium',
  event_referee: 'Referee',
  home_team_logo: null,
  away_team_logo: null,
  event_country_key: 44,
  league_logo: null,
  country_logo: null,
  event_home_formation: '',
  event_away_formation: '',
  fk_stage_key: 6,
  stage_name: 'Current',
  league_group: null,
  goalscorers: goals,
  substitutes: [],
  cards: [],
  vars: { home_team: [], away_team: [] },
  lineups: {},
  statistics: [],
});

/** Goals per match before the next one kicks off (below the service's bound of 200 goalscorers). */
const GOALS_PER_MATCH = 150;

/** Starts the provider; `goals(k)` makes the next poll see k more goals; `polls` counts Livescore requests. */
export async function startProvider() {
  // Every match stays live; only the last one scores.
  const matches = [[]];
  const state = { polls: 0 };
  const server = createServer((req, res) => {
    const met = new URL(req.url ?? '/', 'http://provider').searchParams.get('met');
    if (met === 'Livescore') state.polls += 1;
    const result = met === 'Livescore' || met === 'Fixtures' ? matches.map((goals, index) => matchRow(goals, index)) : [];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: 1, result }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/football/`,
    state,
    goals(k) {
      if (matches.at(-1).length + k > GOALS_PER_MATCH) matches.push([]);
      const goals = matches.at(-1);
      for (let i = 0; i < k; i += 1) goals.push(goalRow(goals.length + 1));
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
