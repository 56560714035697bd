/**
 * The SDK as a host sees it (issue 16.7, 18 §2): a malformed frame is reported and skipped, never
 * thrown out of a socket handler; `close()` is safe in every state; `connect()` always settles;
 * options are checked at once; a throwing listener is not swallowed. Real sockets throughout: the
 * real service where it can produce the case, a scripted `ws` server or a raw TCP server (port 0)
 * for what the service is built never to send.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { FeedClient, FeedError, type FeedClientOptions, type WireEvent } from '@football-streaming-core/client';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startService } from '../helpers/service.js';
import { scriptedPeer as openScriptedPeer, type Peer } from '../helpers/scripted-peer.js';
import { until } from '../helpers/waits.js';


const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const scriptedPeer = (script: (peer: Peer, index: number) => void) => openScriptedPeer(script, cleanups);

/** A TCP server that runs `onConnection` for each connection (e.g. never answers the upgrade). */
async function rawServer(onConnection: (socket: Socket, index: number) => void): Promise<{ url: string; connections: Socket[]; closed: () => number }> {
  const connections: Socket[] = [];
  let closed = 0;
  const server: Server = createServer((socket) => {
    connections.push(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => (closed += 1));
    socket.resume();
    onConnection(socket, connections.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/ws`, connections, closed: () => closed };
}

/** A feed with `ws` passed as documented (no cast), recording what it reports; closed after the test. */
function feedFor(options: Omit<FeedClientOptions, 'WebSocket'>) {
  const feed = new FeedClient({ WebSocket, fetch: false, baseDelayMs: 20, ...options });
  const errors: FeedError[] = [];
  const events: WireEvent[] = [];
  feed.on('error', (error) => errors.push(error));
  feed.on('event', (event) => events.push(event));
  cleanups.push(() => feed.close());
  return { feed, errors, events };
}

const send = (peer: Peer, frame: unknown) => peer.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
const subscribed = (epoch = 'E', seq = 0, extra: Record<string, unknown> = {}) => ({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch, seq, ...extra });
const score = (seq: number) => ({
  type: 'SCORE_UPDATE', match_id: '1', home_team: 'H', away_team: 'A', score: `${seq}-0`, status: '10', league_id: '9',
  event_id: `e${seq}`, timestamp: '2026-05-17T12:00:00.000Z', seq,
});
const started = (seq: number) => ({
  type: 'MATCH_STARTED', match_id: '7', home_team: 'H', away_team: 'A', league: 'L', league_id: '9', start_time: '2026-05-17 12:00',
  home_team_key: '1', away_team_key: '2', country: 'C', score: '0-0', status: '1', phase: 'first_half', goals: [], cards: [],
  substitutions: [], event_id: `s${seq}`, clock: null, timestamp: '2026-05-17T12:00:00.000Z', seq,
});

/** Runs `script` when the peer's next message (the subscribe) arrives. */
const onSubscribe = (peer: Peer, script: (message: Record<string, unknown>) => void) =>
  peer.socket.once('message', (data) => script(JSON.parse(String(data)) as Record<string, unknown>));

describe('malformed frames (issue 16.7): reported as error events, skipped, the feed goes on', () => {
  it('a SNAPSHOT without matches and a MATCH_STARTED without goals do not crash the host', async () => {
    const { url } = await scriptedPeer((peer) =>
      onSubscribe(peer, () => {
        send(peer, subscribed());
        send(peer, { type: 'SNAPSHOT', seq: 0 });
        send(peer, { type: 'SNAPSHOT', seq: 0, matches: [] });
        const { goals: _goals, ...withoutGoals } = started(1);
        send(peer, withoutGoals);
        send(peer, 'not json');
        send(peer, [1, 2]);
        send(peer, { type: 'SCORE_UPDATE', seq: 'two' });
        send(peer, { type: 'FROM_A_NEWER_SERVER', state: 'ok' });
        send(peer, started(2));
        send(peer, score(3));
      }),
    );
    const { feed, errors, events } = feedFor({ url });
    await feed.connect();
    await until(() => events.length === 2, 'the two valid events after the bad frames');
    expect(events.map((e) => e.seq)).toEqual([2, 3]);
    expect(feed.matches.get('7')?.goals).toEqual([]);
    expect(feed.state).toBe('open');
    expect(errors.map((e) => e.code)).toEqual(['BAD_FRAME', 'BAD_FRAME', 'BAD_FRAME', 'BAD_FRAME', 'BAD_FRAME']);
    expect(errors[0]?.message).toMatch(/SNAPSHOT\.matches: missing/);
    expect(errors[1]?.message).toMatch(/MATCH_STARTED\.goals: missing/);
    // A frame type of a newer server is ignored, not an error.
    expect(errors.map((e) => e.message).join()).not.toContain('FROM_A_NEWER_SERVER');
  });

  it('a SUBSCRIBED {resumed:true} in another epoch than the position is a reset, not a resume', async () => {
    const { url } = await scriptedPeer((peer) =>
      onSubscribe(peer, (message) => {
        expect(message).toMatchObject({ since: 40, epoch: 'OLD' });
        send(peer, subscribed('NEW', 5, { resumed: true }));
        send(peer, { type: 'SNAPSHOT', seq: 5, matches: [] });
        // What a confused server would replay from since=40 of another history, then a new event.
        send(peer, score(4));
        send(peer, score(6));
      }),
    );
    const { feed, events } = feedFor({ url, position: { seq: 40, epoch: 'OLD' } });
    const resets: number[] = [];
    feed.on('reset', () => resets.push(1));
    const infos: Array<boolean | undefined> = [];
    feed.on('subscribed', (info) => infos.push(info.resumed));
    await feed.connect();
    await until(() => events.length === 1, 'the event after the new snapshot');
    expect(resets).toEqual([1]);
    expect(infos).toEqual([false]);
    expect(events.map((e) => e.seq)).toEqual([6]);
    expect(feed.position).toEqual({ seq: 6, epoch: 'NEW' });
  });
});

describe('the provider status (UPSTREAM_STATUS, 18 §2)', () => {
  it('is the upstream event and feed.upstream; a reconnection that brings the same status does not repeat it; a malformed one is a BAD_FRAME', async () => {
    const down = { type: 'UPSTREAM_STATUS', state: 'down', since: '2026-12-07T10:00:00.000Z', reason: 'the provider refuses the API key' };
    const ok = { type: 'UPSTREAM_STATUS', state: 'ok', since: '2026-12-07T10:05:00.000Z', reason: 'no provider problem reported' };
    const { url, peers } = await scriptedPeer((peer, index) =>
      onSubscribe(peer, () => {
        send(peer, subscribed('E', 0));
        if (index === 0) {
          send(peer, down);
          send(peer, { type: 'SNAPSHOT', seq: 0, matches: [] });
          send(peer, { ...down, state: 'broken' });
          send(peer, ok);
          // The connection drops: the next one starts with the same status.
          peer.socket.terminate();
        } else {
          send(peer, ok);
          send(peer, { type: 'SNAPSHOT', seq: 0, matches: [] });
          send(peer, started(1));
        }
      }),
    );
    const { feed, errors, events } = feedFor({ url });
    expect(feed.upstream).toBeUndefined();
    const heard: Array<{ state: string; since: string; reason: string }> = [];
    feed.on('upstream', (status) => heard.push(status));
    await feed.connect();
    await until(() => events.length === 1 && peers.length === 2, 'the second connection and its event');
    expect(heard).toEqual([
      { state: 'down', since: down.since, reason: down.reason },
      { state: 'ok', since: ok.since, reason: ok.reason },
    ]);
    expect(feed.upstream).toEqual({ state: 'ok', since: ok.since, reason: ok.reason });
    expect(errors.filter((e) => e.code === 'BAD_FRAME').map((e) => e.message)).toEqual([expect.stringMatching(/UPSTREAM_STATUS\.state/)]);
  });
});

describe('close() is safe in every state (issue 16.20, 18 §2)', () => {
  it('idle: before connect(), twice, and a closed feed connects again', async () => {
    const service = await startService();
    cleanups.push(() => service.stop());
    const { feed } = feedFor({ url: `ws://127.0.0.1:${service.app.port}/ws` });
    expect(() => feed.close()).not.toThrow();
    expect(() => feed.close()).not.toThrow();
    expect(feed.state).toBe('closed');
    await feed.connect();
    expect(feed.state).toBe('open');
  });

  it('connecting: the handshake is aborted without an uncaught "closed before the connection was established"', async () => {
    // A server that accepts the TCP connection and never answers the upgrade: the socket stays CONNECTING.
    const { url, connections, closed } = await rawServer(() => undefined);
    const { feed, errors } = feedFor({ url });
    const connecting = feed.connect();
    await until(() => connections.length === 1, 'the TCP connection');
    expect(feed.state).toBe('connecting');
    feed.close();
    await expect(connecting).rejects.toMatchObject({ name: 'FeedError', code: 'CLOSED' });
    expect(feed.state).toBe('closed');
    // The aborted handshake's error event reached a handler (an unhandled one fails this test run).
    await until(() => closed() === 1, 'the aborted connection to end');
    expect(errors).toEqual([]);
  });

  it('reconnecting: while a retry connection is in progress, and while waiting to retry', async () => {
    // First connection refused with 503, later ones hang in the handshake.
    const { url, connections } = await rawServer((socket, index) => {
      if (index === 0) socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    const { feed } = feedFor({ url, baseDelayMs: 1, overloadDelayMs: 0, random: () => 0 });
    const connecting = feed.connect();
    await until(() => connections.length === 2, 'the retry connection');
    feed.close();
    await expect(connecting).rejects.toMatchObject({ code: 'CLOSED' });

    // Waiting to retry: close() from the retry listener cancels the scheduled attempt.
    const refusing = await rawServer((socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
    const { feed: waiting } = feedFor({ url: refusing.url, baseDelayMs: 1, overloadDelayMs: 0, random: () => 0 });
    waiting.on('retry', () => waiting.close());
    await expect(waiting.connect()).rejects.toMatchObject({ code: 'CLOSED' });
    // A second client through the same server arrives; the closed one never came back.
    const { feed: witness } = feedFor({ url: refusing.url });
    void witness.connect().catch(() => undefined);
    await until(() => refusing.connections.length === 2, "the witness's connection");
    expect(waiting.state).toBe('closed');
    expect(refusing.connections.length).toBe(2);
  });

  it('open, and closing: close() while the server closes, from inside a state listener', async () => {
    const service = await startService();
    cleanups.push(() => service.stop());
    const { feed } = feedFor({ url: `ws://127.0.0.1:${service.app.port}/ws` });
    await feed.connect();
    expect(feed.state).toBe('open');
    feed.close();
    expect(feed.state).toBe('closed');

    const { url, peers } = await scriptedPeer((peer) =>
      onSubscribe(peer, () => {
        send(peer, subscribed());
        send(peer, { type: 'SNAPSHOT', seq: 0, matches: [] });
      }),
    );
    const { feed: second } = feedFor({ url });
    await second.connect();
    const states: string[] = [];
    second.on('state', (state) => {
      states.push(state);
      if (state === 'reconnecting') second.close();
    });
    peers[0]?.socket.close(4008, 'slow consumer');
    await until(() => second.state === 'closed', 'the feed to close from its listener');
    expect(states).toEqual(['reconnecting', 'closed']);
    expect(peers.length).toBe(1);
  });
});

describe('connect() settles (18 §2)', () => {
  it('a numeric league id is converted: the real service subscribes it, connect() resolves', async () => {
    const service = await startService();
    cleanups.push(() => service.stop());
    const { feed, errors } = feedFor({ url: `ws://127.0.0.1:${service.app.port}/ws`, filter: { league_ids: [9152] } });
    const info: Array<Record<string, unknown>> = [];
    feed.on('subscribed', (subscribedInfo) => info.push({ ...subscribedInfo }));
    const refused = new Promise<never>((_, reject) => feed.on('error', (error) => reject(error)));
    await Promise.race([feed.connect(), refused]);
    expect(feed.state).toBe('open');
    expect(errors).toEqual([]);
  });

  it('rejects with SUBSCRIPTION_REFUSED when the server answers the subscribe with ERROR, and stops', async () => {
    const { url, peers } = await scriptedPeer((peer) =>
      onSubscribe(peer, () => send(peer, { type: 'ERROR', code: 'INVALID_FILTER', message: 'league_ids[0]: expected digits' })),
    );
    const { feed, errors } = feedFor({ url, filter: { league_ids: ['9152'] } });
    const error = await feed.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FeedError);
    expect(error).toMatchObject({ code: 'SUBSCRIPTION_REFUSED', details: { serverCode: 'INVALID_FILTER', final: true } });
    expect(feed.state).toBe('closed');
    expect(errors.map((e) => e.code)).toEqual(['SUBSCRIPTION_REFUSED']);
    expect(peers.length).toBe(1);
  });

  it('rejects with CLOSED when close() comes first, with AUTH_REFUSED when the token is refused for good', async () => {
    const service = await startService({ AUTH_TOKENS: 'right' });
    cleanups.push(() => service.stop());
    const url = `ws://127.0.0.1:${service.app.port}/ws`;
    const { feed } = feedFor({ url, token: 'right' });
    const pending = feed.connect();
    feed.close();
    await expect(pending).rejects.toMatchObject({ name: 'FeedError', code: 'CLOSED' });
    const { feed: refused } = feedFor({ url, token: 'wrong', baseDelayMs: 1 });
    await expect(refused.connect()).rejects.toMatchObject({ name: 'FeedError', code: 'AUTH_REFUSED', details: { final: true } });
  });

  it('the constructor checks the options at once and names the bad one', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ url: 'http://localhost:8080/ws' }, 'url'],
      [{ url: 42 }, 'url'],
      [{ url: 'ws://h/ws', filter: { league_ids: [{ id: 1 }] } }, 'filter.league_ids[0]'],
      [{ url: 'ws://h/ws', filter: { league_ids: '9152' } }, 'filter.league_ids'],
      [{ url: 'ws://h/ws', filter: { leagues: ['1'] } }, 'filter.leagues'],
      [{ url: 'ws://h/ws', filter: { match_ids: ['x'.repeat(65)] } }, 'filter.match_ids[0]'],
      // One id rule everywhere (18 §5): 1 to 20 digits.
      [{ url: 'ws://h/ws', filter: { team_ids: ['7301', 'abc'] } }, 'filter.team_ids[1]'],
      [{ url: 'ws://h/ws', filter: { league_ids: ['1'.repeat(21)] } }, 'filter.league_ids[0]'],
      [{ url: 'ws://h/ws', filter: { match_ids: Array.from({ length: 501 }, (_, i) => String(i)) } }, 'filter'],
      [{ url: 'ws://h/ws', heartbeatIntervalMs: -1 }, 'heartbeatIntervalMs'],
      [{ url: 'ws://h/ws', baseDelayMs: '1000' }, 'baseDelayMs'],
      [{ url: 'ws://h/ws', position: { seq: '5', epoch: 'E' } }, 'position.seq'],
      [{ url: 'ws://h/ws', token: 123 }, 'token'],
      [{ url: 'ws://h/ws', WebSocket: 'ws' }, 'WebSocket'],
    ];
    for (const [options, option] of bad) {
      let thrown: unknown;
      try {
        new FeedClient(options as unknown as FeedClientOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(FeedError);
      expect(thrown, JSON.stringify(options)).toMatchObject({ code: 'INVALID_OPTION', details: { option } });
      expect((thrown as Error).message).toContain(option);
    }
  });
});

describe('a listener that throws (18 §2)', () => {
  it('is reported through error (LISTENER_THREW); the other listeners and the feed go on', async () => {
    const service = await startService();
    cleanups.push(() => service.stop());
    const { feed, errors } = feedFor({ url: `ws://127.0.0.1:${service.app.port}/ws` });
    const after: string[] = [];
    feed.on('snapshot', () => {
      throw new Error('bug in the app');
    });
    feed.on('snapshot', () => after.push('second listener'));
    await feed.connect();
    expect(after).toEqual(['second listener']);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['LISTENER_THREW', "a 'snapshot' listener threw: bug in the app"]]);
    expect((errors[0]?.details.cause as Error).message).toBe('bug in the app');
    expect(feed.state).toBe('open');
  });

  it('with no error listener, reaches the host as an uncaught exception on the next tick', async () => {
    const { url } = await scriptedPeer((peer) =>
      onSubscribe(peer, () => {
        send(peer, subscribed());
        send(peer, { type: 'SNAPSHOT', seq: 0, matches: [] });
      }),
    );
    // A host app of its own (a child process), as the issue describes it.
    const app = `
      import { FeedClient } from '@football-streaming-core/client';
      import WebSocket from 'ws';
      const feed = new FeedClient({ url: ${JSON.stringify(url)}, WebSocket, fetch: false });
      feed.on('snapshot', () => { throw new Error('bug in the app listener'); });
      await feed.connect();
      console.log('connected');
      setTimeout(() => { feed.close(); console.log('no uncaught exception'); }, 200);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', app], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).toContain('bug in the app listener');
    expect(code).toBe(1);
    expect(stdout).not.toContain('no uncaught exception');
  });
});

describe('the refusal probe', () => {
  it('keeps a Node host alive and reconnecting while the service hangs up every connection', async () => {
    // A port that accepts and hangs up at once: no upgrade answer, so the SDK probes with fetch
    // (the global one) after every attempt. The host app has nothing else to do.
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const app = `
      import { FeedClient } from '@football-streaming-core/client';
      import WebSocket from 'ws';
      const feed = new FeedClient({ url: 'ws://127.0.0.1:${port}/ws', WebSocket, baseDelayMs: 50, maxDelayMs: 100 });
      feed.on('error', () => undefined);
      feed.connect().catch(() => undefined);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', app], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exit: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code) => {
        exit = code;
        resolve();
      }),
    );
    try {
      // Each attempt is a WebSocket connection and a probe (both hung up): six connections are
      // at least three attempts, and the host must still be running to make them.
      await Promise.race([
        (async () => {
          while (connections < 6 && exit === undefined) await new Promise((resolve) => server.once('connection', resolve));
        })(),
        exited,
      ]);
      expect(exit, `the host exited while reconnecting: ${stderr}`).toBeUndefined();
      expect(connections).toBeGreaterThanOrEqual(6);
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  });
});
