#!/usr/bin/env node
/**
 * Follows one league and prints its goals, one line each, for as long as it runs.
 *
 * It survives restarts on both sides: when the service goes away (a deploy, a crash), the SDK
 * reconnects with backoff and resumes right after the last event it handed over; when this script
 * itself stops (Ctrl-C, a crash, a reboot), it saved that position to a file after every event and
 * resumes from it on the next start. Either way no goal is missed and none is printed twice.
 *
 *   node examples/node/follow-league.mjs --url ws://localhost:8080/ws --league 9152
 *
 * Options (or environment variables):
 *   --url       FSC_URL            the service's WebSocket URL (ws://localhost:8080/ws)
 *   --league    FSC_LEAGUE         the league id to follow (9152, the simulated Premier Division)
 *   --position  FSC_POSITION_FILE  where the position is saved (./follow-league.position.json)
 *   --token     FSC_TOKEN          a token, when the service requires one (AUTH_TOKENS)
 *   --json                         one JSON object a goal instead of a line of text
 *
 * Goals go to stdout; what the connection does goes to stderr.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FeedClient } from '@football-streaming-core/client';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.FSC_URL ?? 'ws://localhost:8080/ws' },
    league: { type: 'string', default: process.env.FSC_LEAGUE ?? '9152' },
    position: { type: 'string', default: process.env.FSC_POSITION_FILE ?? 'follow-league.position.json' },
    token: { type: 'string', default: process.env.FSC_TOKEN },
    json: { type: 'boolean', default: false },
  },
});
const positionFile = values.position;

/** The position saved by the last run, or undefined (first run, or a file that is not one). */
function loadPosition() {
  let text;
  try {
    text = readFileSync(positionFile, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const saved = JSON.parse(text);
    if (Number.isSafeInteger(saved?.seq) && typeof saved?.epoch === 'string') return { seq: saved.seq, epoch: saved.epoch };
  } catch {
    // Reported below: the file is not a position.
  }
  console.error(`${positionFile} holds no position; starting from now`);
  return undefined;
}

/** Write, then rename: a crash mid-write leaves the previous position, never half a file. */
function savePosition(position) {
  if (position === undefined) return;
  const temporary = `${positionFile}.tmp`;
  writeFileSync(temporary, JSON.stringify(position));
  renameSync(temporary, positionFile);
}

function printGoal(goal) {
  if (values.json) {
    const { seq, event_id, match_id, minute, scorer, team, score, home_team, away_team, penalty, own_goal } = goal;
    console.log(JSON.stringify({ seq, event_id, match_id, minute, scorer, team, score, home_team, away_team, penalty, own_goal }));
    return;
  }
  const note = goal.own_goal ? ' (own goal)' : goal.penalty ? ' (penalty)' : '';
  console.log(`${goal.minute}' ${goal.scorer}${note}: ${goal.home_team} ${goal.score} ${goal.away_team}`);
}

const saved = loadPosition();
const feed = new FeedClient({
  url: values.url,
  WebSocket,
  filter: { league_ids: [values.league] },
  // The refusal probe is for browsers, which hide a refused upgrade's status; `ws` reports it. (In
  // Node 20, a probe of a service that is down left nothing to keep the process alive: it exited.)
  fetch: false,
  ...(saved ? { position: saved } : {}),
  ...(values.token ? { token: values.token } : {}),
});

let resumed;
feed.on('subscribed', (info) => {
  resumed = info.resumed;
});
feed.on('snapshot', (matches) => {
  // A fresh start (or a history the service reset) begins at the snapshot: save that too, so a
  // restart before the first goal still resumes from here.
  savePosition(feed.position);
  const how = resumed === true ? 'resumed' : resumed === false ? 'could not resume: started again from now' : 'fresh start';
  console.error(`following league ${values.league}: ${matches.size} live, from seq ${feed.position?.seq} (${how})`);
});
feed.on('event', (event) => {
  if (event.type === 'GOAL_SCORED') printGoal(event);
  savePosition(feed.position);
});
feed.on('state', (state) => console.error(`connection: ${state}`));
feed.on('upstream', (status) => console.error(`provider: ${status.state} since ${status.since} (${status.reason})`));
feed.on('retry', (retry) => console.error(`reconnecting in ${Math.round(retry.delayMs)} ms`));
feed.on('error', (error) => console.error(`${error.code}: ${error.message}`));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`${signal}: stopping at seq ${feed.position?.seq}`);
    feed.close(); // nothing else keeps the process alive: it exits
  });
}

try {
  await feed.connect();
} catch (error) {
  // CLOSED: a signal came before the first subscription; anything else stopped the feed for good.
  if (error.code !== 'CLOSED') {
    console.error(`stopped: ${error.message}`);
    process.exitCode = 1;
  }
}
