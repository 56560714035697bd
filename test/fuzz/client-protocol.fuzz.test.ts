/**
 * Fuzzing the client protocol (fast-check): random strings and bytes, wrong types for every field,
 * deeply nested JSON and huge frames, into `parseClientMessage` and into a live connection over a
 * real socket. The server never crashes (health stays 200, a bystander keeps getting PONG), every
 * bad message gets an ERROR frame or a close with a WebSocket close code, and garbage never yields
 * an event.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, MAX_INBOUND_MESSAGE_BYTES, parseClientMessage } from '../../src/domain/protocol.js';
import { startWithStandIn, type TestService } from '../helpers/service.js';
import type { StandIn } from '../helpers/stand-in.js';
import { isEvent, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
const ACTIONS = ['subscribe_all', 'subscribe', 'unsubscribe', 'snapshot', 'ping'] as const;
/** Close codes the server (or the `ws` library on its behalf, RFC 6455 §7.4.1) may use on a bad client. */
const BAD_CLIENT_CLOSES = new Set<number>([
  1002, // protocol error (malformed frame)
  1005, // the garbage happened to be a well-formed close frame without a code, echoed back
  1006, // abnormal closure (socket dropped without a close frame)
  1007, // invalid UTF-8 in a text frame
  CloseCode.MessageTooBig,
  CloseCode.TooManyBadMessages,
  CloseCode.RateLimited,
]);

const anyValue = fc.jsonValue({ maxDepth: 3 });
const idList = fc.oneof(anyValue, fc.array(fc.oneof(fc.string({ maxLength: 80 }), anyValue), { maxLength: 6 }));
/** Objects with known or unknown actions and every field of the wrong (or right) type. */
const wrongTypes = fc.record(
  {
    action: fc.oneof(fc.constantFrom(...ACTIONS), anyValue, fc.string()),
    match_ids: idList,
    league_ids: idList,
    team_ids: idList,
    since: fc.oneof(fc.integer(), fc.double(), fc.string(), anyValue),
    epoch: anyValue,
    snapshot: anyValue,
  },
  { requiredKeys: [] },
).map((value) => JSON.stringify(value));

const nested = fc
  .tuple(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom('[', '{"a":', '[{"action":'), fc.boolean())
  .map(([depth, open, closeIt]) => {
    const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
    return open.repeat(depth) + (closeIt ? `1${close.repeat(depth)}` : '');
  });

/** Text messages of every kind; the live tests keep them within the size limit. */
const textMessage = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  wrongTypes,
  nested,
);

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** The validated value is well-formed whenever parsing succeeds. */
function checkParsed(text: string): void {
  const parsed = parseClientMessage(text);
  if (!parsed.ok) {
    expect(ERROR_CODES.has(parsed.error.code)).toBe(true);
    expect(typeof parsed.error.message).toBe('string');
    // Error messages never echo a large part of the input back.
    expect(parsed.error.message.length).toBeLessThan(300);
    return;
  }
  const value = parsed.value;
  expect(['subscribe', 'unsubscribe', 'snapshot', 'ping']).toContain(value.action);
  if (value.action !== 'subscribe') return;
  expect(value.since === undefined || (Number.isSafeInteger(value.since) && value.since >= 0)).toBe(true);
  expect(value.epoch === undefined || typeof value.epoch === 'string').toBe(true);
  expect(typeof value.snapshot).toBe('boolean');
  if (value.filter.kind === 'filtered') {
    const ids = [...value.filter.matchIds, ...value.filter.leagueIds, ...value.filter.teamIds];
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(typeof id).toBe('string');
      expect(id.length).toBeGreaterThan(0);
      expect(id.length).toBeLessThanOrEqual(64);
    }
  }
}

describe('parseClientMessage under fuzzing', () => {
  it('never throws and returns either a well-formed message or a documented error code', () => {
    fc.assert(
      fc.property(textMessage, (text) => {
        checkParsed(text);
      }),
      { numRuns: 3_000 },
    );
  });

  it('validates every field whatever its type: a well-formed message or INVALID_FILTER / INVALID_PARAMETER / action errors', () => {
    fc.assert(
      fc.property(wrongTypes, (text) => {
        checkParsed(text);
      }),
      { numRuns: 3_000 },
    );
    expect(parseClientMessage('{"action":"subscribe","match_ids":"1"}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidFilter } });
    expect(parseClientMessage('{"action":"subscribe","match_ids":[1]}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidFilter } });
    expect(parseClientMessage('{"action":"subscribe_all","since":-1}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidParameter } });
    expect(parseClientMessage('{"action":"subscribe_all","since":1.5}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidParameter } });
    expect(parseClientMessage('{"action":"subscribe_all","epoch":7}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidParameter } });
    expect(parseClientMessage('{"action":"subscribe_all","snapshot":"yes"}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidParameter } });
    expect(parseClientMessage('{"action":["ping"]}')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidMessage } });
  });

  it('survives 10^5 levels of nesting and huge inputs', () => {
    const depth = 100_000;
    expect(parseClientMessage('['.repeat(depth))).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidJson } });
    expect(parseClientMessage('['.repeat(depth) + ']'.repeat(depth))).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidMessage } });
    expect(parseClientMessage('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))).toMatchObject({
      ok: false,
      error: { code: ErrorCode.InvalidMessage },
    });
    const unknown = parseClientMessage(JSON.stringify({ action: 'x'.repeat(1_000_000) }));
    expect(unknown).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownAction } });
    if (!unknown.ok) expect(unknown.error.message.length).toBeLessThan(300);
  });
});

describe('a live connection under fuzzing', () => {
  let service: TestService;
  let standIn: StandIn;
  let bystander: TestClient;
  let fuzzed: TestClient;

  beforeAll(async () => {
    ({ standIn, service } = await startWithStandIn({
      POLL_INTERVAL_SECS: '0.2',
      POLL_INTERVAL_IDLE_SECS: '0.2',
      // Room for every fuzz case on one connection: only the size limit and frame errors close it.
      MAX_BAD_MESSAGES: '100000',
      CLIENT_RATE_LIMIT: '100000',
      CLIENT_RATE_BURST: '100000',
      LOG_LEVEL: 'info',
    }));
    bystander = await TestClient.open(service.wsUrl);
    await subscribe(bystander, { action: 'subscribe_all' });
    fuzzed = await TestClient.open(service.wsUrl);
  });

  afterAll(async () => {
    await service.stop();
    await standIn.close();
  });

  /**
   * Sends a ping and returns the frames (other than PONG) that arrived before its PONG. Replies
   * keep the order of requests, so everything caused by earlier messages is in. `pongsBefore`:
   * PONGs the messages just sent will cause themselves (a fuzz case may be a valid ping).
   */
  async function framesUntilPong(client: TestClient, pongsBefore = 0): Promise<Message[]> {
    const from = client.received.length;
    client.send({ action: 'ping' });
    for (let i = 0; i <= pongsBefore; i += 1) await client.nextOfType('PONG');
    return client.received.slice(from).filter((frame) => frame.type !== 'PONG');
  }

  /** Forgets queued frames, so waits only see what the next message causes. */
  async function drain(client: TestClient): Promise<void> {
    while (client.pending().length > 0) await client.next();
  }

  async function stillServing(): Promise<void> {
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
    await drain(bystander);
    expect(await framesUntilPong(bystander)).toEqual([]);
  }

  async function reopen(): Promise<TestClient> {
    fuzzed = await TestClient.open(service.wsUrl);
    return fuzzed;
  }

  it('answers every bad text message with one ERROR frame and never with an event', async () => {
    await fc.assert(
      fc.asyncProperty(
        textMessage.filter((text) => byteLength(text) <= MAX_INBOUND_MESSAGE_BYTES),
        async (text) => {
          await drain(fuzzed);
          const from = fuzzed.received.length;
          const parsed = parseClientMessage(text);
          fuzzed.send(text);
          const frames = await framesUntilPong(fuzzed, parsed.ok && parsed.value.action === 'ping' ? 1 : 0);
          expect(fuzzed.received.slice(from).some(isEvent)).toBe(false);
          const errors = frames.filter((frame) => frame.type === 'ERROR');
          if (parsed.ok) {
            expect(errors).toEqual([]);
          } else {
            expect(errors).toHaveLength(1);
            expect(errors[0]?.['code']).toBe(parsed.error.code);
          }
          for (const frame of frames) expect(['ERROR', 'SUBSCRIBED', 'UPSTREAM_STATUS', 'UNSUBSCRIBED', 'SNAPSHOT']).toContain(frame.type);
        },
      ),
      { numRuns: 300 },
    );
    await stillServing();
  });

  it('answers random binary frames with BINARY_NOT_SUPPORTED and stays open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 512 }), async (bytes) => {
        await drain(fuzzed);
        const from = fuzzed.received.length;
        fuzzed.ws.send(bytes, { binary: true });
        const frames = await framesUntilPong(fuzzed);
        expect(frames).toEqual([expect.objectContaining({ type: 'ERROR', code: ErrorCode.BinaryNotSupported })]);
        expect(fuzzed.received.slice(from).some(isEvent)).toBe(false);
      }),
      { numRuns: 100 },
    );
    await stillServing();
  });

  it('closes on oversized frames (1009) and invalid UTF-8 (1007) without disturbing anyone else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: MAX_INBOUND_MESSAGE_BYTES + 1, max: 200_000 }).map((size) => ({ kind: 'big' as const, size })),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ kind: 'utf8' as const, bytes: Buffer.from([0xc3, 0x28, ...bytes]) })),
        ),
        async (testCase) => {
          const client = await reopen();
          if (testCase.kind === 'big') client.send('{"action":"ping","pad":"' + 'x'.repeat(testCase.size) + '"}');
          else client.ws.send(testCase.bytes, { binary: false });
          const closed = await client.closed;
          expect(closed.code).toBe(testCase.kind === 'big' ? CloseCode.MessageTooBig : 1007);
          expect(client.received.some(isEvent)).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
    // One frame far beyond the limit (16 MiB) is refused from its header, not buffered.
    const client = await reopen();
    client.send('x'.repeat(16 * 1024 * 1024));
    expect((await client.closed).code).toBe(CloseCode.MessageTooBig);
    await stillServing();
  });

  it('survives raw garbage on the socket after the upgrade (malformed frames)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 256 }), async (bytes) => {
        const client = await reopen();
        const socket = (client.ws as unknown as { _socket: import('node:net').Socket })._socket;
        socket.write(Buffer.from(bytes));
        socket.end();
        const closed = await client.closed;
        expect(BAD_CLIENT_CLOSES.has(closed.code), `close code ${closed.code}`).toBe(true);
        expect(client.received.some(isEvent)).toBe(false);
      }),
      { numRuns: 60 },
    );
    await stillServing();
    const fresh = await reopen();
    expect(await framesUntilPong(fresh)).toEqual([]);
    await fresh.close();
  });
});
