/** A small scoreboard component on `useFeed`: live scores and the latest goals. */
import { clockMinute } from '@football-streaming-core/client';
import { useFeed } from './useFeed.js';

export interface ScoreboardProps {
  /** The service's WebSocket URL, e.g. `ws://localhost:8080/ws`. */
  readonly url: string;
  /** Follow one league only. */
  readonly leagueId?: string;
}

export function Scoreboard({ url, leagueId }: ScoreboardProps) {
  const { state, matches, events, upstream, error } = useFeed({ url, ...(leagueId ? { filter: { league_ids: [leagueId] } } : {}) });
  const goals = events.filter((event) => event.type === 'GOAL_SCORED');
  const shown = state !== 'open' ? (state === 'reconnecting' ? 'reconnecting…' : state) : upstream?.state === 'down' ? 'provider unavailable' : 'live';
  return (
    <main>
      <p>
        Connection: <b data-testid="state" data-state={state} data-upstream={upstream?.state ?? ''}>{shown}</b>
        {error ? <small data-testid="error"> ({error.code})</small> : null}
      </p>
      <h2>Scores</h2>
      <ul data-testid="matches">
        {matches.map((match) => {
          const minute = clockMinute(match.clock);
          return (
            <li key={match.match_id} data-match-id={match.match_id}>
              {match.home_team} <b data-field="score">{match.score}</b> {match.away_team}
              {minute ? ` · ${minute}'` : ''}
            </li>
          );
        })}
      </ul>
      <h2>Goals</h2>
      <ol data-testid="goals">
        {goals.map((goal) => (
          <li key={goal.event_id} data-event-id={goal.event_id} data-seq={goal.seq}>
            {goal.minute}' {goal.scorer}: {goal.home_team} {goal.score} {goal.away_team}
          </li>
        ))}
      </ol>
    </main>
  );
}
