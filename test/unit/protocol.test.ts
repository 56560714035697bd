/**
 * The client-protocol validator (parseClientMessage): every action, every error code, bounded
 * echoes of client input, and the shapes of the prepared frames.
 */
import { describe, it, expect } from 'vitest';
import {
  ErrorCode,
  PONG_FRAME,
  UNSUBSCRIBED_FRAME,
  errorFrame,
  parseClientMessage,
  type ClientMessage,
  type ProtocolError,
} from '../../src/domain/protocol.js';

function accepted(message: unknown): ClientMessage {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const parsed = parseClientMessage(text);
  if (!parsed.ok) throw new Error(`expected ${text} to be accepted, got ${parsed.error.code}: ${parsed.error.message}`);
  return parsed.value;
}

function refused(message: unknown): ProtocolError {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const parsed = parseClientMessage(text);
  if (parsed.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(parsed.value)}`);
  return parsed.error;
}

describe('actions', () => {
  it('ping, snapshot, unsubscribe', () => {
    expect(accepted({ action: 'ping' })).toEqual({ action: 'ping' });
    expect(accepted({ action: 'snapshot' })).toEqual({ action: 'snapshot' });
    expect(accepted({ action: 'unsubscribe' })).toEqual({ action: 'unsubscribe' });
  });

  it('subscribe_all, as the seed sends it', () => {
    expect(accepted({ action: 'subscribe_all' })).toEqual({
      action: 'subscribe',
      filter: { kind: 'all' },
      since: undefined,
      epoch: undefined,
      snapshot: false,
    });
  });

  it('subscribe_all with since, epoch and snapshot', () => {
    expect(accepted({ action: 'subscribe_all', since: 42, epoch: 'e-1', snapshot: true })).toEqual({
      action: 'subscribe',
      filter: { kind: 'all' },
      since: 42,
      epoch: 'e-1',
      snapshot: true,
    });
    expect(accepted({ action: 'subscribe_all', since: 0, snapshot: false })).toMatchObject({ since: 0, snapshot: false });
  });

  it('unknown extra fields are ignored', () => {
    expect(accepted({ action: 'ping', id: 7, extra: { a: 1 } })).toEqual({ action: 'ping' });
  });

  it('subscribe with match_ids, league_ids and team_ids (a union), with resume options', () => {
    expect(
      accepted({
        action: 'subscribe',
        match_ids: ['1061500', '3000000123'],
        league_ids: ['302'],
        team_ids: ['7594', '7623'],
        since: 10,
        epoch: 'abc',
        snapshot: true,
      }),
    ).toEqual({
      action: 'subscribe',
      filter: { kind: 'filtered', matchIds: ['1061500', '3000000123'], leagueIds: ['302'], teamIds: ['7594', '7623'] },
      since: 10,
      epoch: 'abc',
      snapshot: true,
    });
  });

  it.each([
    [{ match_ids: ['1'] }, { matchIds: ['1'], leagueIds: [], teamIds: [] }],
    [{ league_ids: ['152'] }, { matchIds: [], leagueIds: ['152'], teamIds: [] }],
    [{ team_ids: ['96'], match_ids: [] }, { matchIds: [], leagueIds: [], teamIds: ['96'] }],
  ])('subscribe with only %j', (lists, filter) => {
    expect(accepted({ action: 'subscribe', ...lists })).toEqual({
      action: 'subscribe',
      filter: { kind: 'filtered', ...filter },
      since: undefined,
      epoch: undefined,
      snapshot: false,
    });
  });
});

describe('INVALID_FILTER', () => {
  it.each([
    ['numbers', { match_ids: [1061500] }, 'match_ids[0]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got number'],
    ['an empty string', { league_ids: ['152', ''] }, 'league_ids[1]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got string'],
    ['null inside', { team_ids: [null] }, 'team_ids[0]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got null'],
    // One id rule on every transport (18 §5): what REST and SSE refuse, the WebSocket refuses too.
    ['letters', { match_ids: ['12a'] }, 'match_ids[0]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got string'],
    ['21 digits', { league_ids: ['1'.repeat(21)] }, 'league_ids[0]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got string'],
    ['non-ASCII digits', { team_ids: ['١٢٣'] }, 'team_ids[0]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got string'],
    ['spaces', { team_ids: [' 12'] }, 'team_ids[0]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got string'],
    ['a string, not an array', { match_ids: '1061500' }, 'match_ids: expected an array of id strings, got string'],
    ['an object', { league_ids: { id: '1' } }, 'league_ids: expected an array of id strings, got object'],
    ['null', { team_ids: null }, 'team_ids: expected an array of id strings, got null'],
  ])('ids as %s', (_label, lists, message) => {
    expect(refused({ action: 'subscribe', ...lists })).toEqual({ code: ErrorCode.InvalidFilter, message });
  });

  it.each([
    ['no lists', {}],
    ['all lists empty', { match_ids: [], league_ids: [], team_ids: [] }],
  ])('%s', (_label, lists) => {
    const error = refused({ action: 'subscribe', ...lists });
    expect(error.code).toBe('INVALID_FILTER');
    expect(error.message).toMatch(/at least one id in match_ids, league_ids or team_ids/);
  });

  it('too many ids, or an over-long id', () => {
    const many = Array.from({ length: 501 }, (_, i) => String(i));
    expect(refused({ action: 'subscribe', match_ids: many })).toEqual({
      code: 'INVALID_FILTER',
      message: 'match_ids: at most 500 ids',
    });
    expect(accepted({ action: 'subscribe', match_ids: many.slice(0, 500) })).toMatchObject({ action: 'subscribe' });
    expect(accepted({ action: 'subscribe', match_ids: ['9'.repeat(20)] })).toMatchObject({ action: 'subscribe' });
    const long = '9'.repeat(65);
    const error = refused({ action: 'subscribe', team_ids: [long] });
    expect(error.code).toBe('INVALID_FILTER');
    expect(error.message).not.toContain(long);
  });

  it('the filter is checked before since', () => {
    expect(refused({ action: 'subscribe', match_ids: [1], since: -1 }).code).toBe('INVALID_FILTER');
  });
});

describe('INVALID_PARAMETER', () => {
  it.each([
    ['since negative', { since: -1 }, 'since: expected a non-negative integer, got number'],
    ['since a float', { since: 1.5 }, 'since: expected a non-negative integer, got number'],
    ['since a string', { since: '10' }, 'since: expected a non-negative integer, got string'],
    ['since null', { since: null }, 'since: expected a non-negative integer, got null'],
    ['since beyond safe integers', { since: 2 ** 53 }, 'since: expected a non-negative integer, got number'],
    ['epoch a number', { epoch: 5 }, 'epoch: expected a string, got number'],
    ['snapshot a string', { snapshot: 'true' }, 'snapshot: expected a boolean, got string'],
    ['snapshot a number', { snapshot: 1 }, 'snapshot: expected a boolean, got number'],
  ])('%s', (_label, options, message) => {
    const expected = { code: ErrorCode.InvalidParameter, message };
    expect(refused({ action: 'subscribe_all', ...options })).toEqual(expected);
    expect(refused({ action: 'subscribe', match_ids: ['1'], ...options })).toEqual(expected);
  });
});

describe('INVALID_JSON, INVALID_MESSAGE, UNKNOWN_ACTION', () => {
  it.each(['{"action":', 'not json', '', '{action: "ping"}', "{'action':'ping'}", '{"action":"ping"}}'])(
    'invalid JSON %j',
    (text) => {
      expect(refused(text)).toEqual({ code: ErrorCode.InvalidJson, message: 'message is not valid JSON' });
    },
  );

  it.each([
    ['an array', '[{"action":"ping"}]', 'array'],
    ['a number', '42', 'number'],
    ['null', 'null', 'null'],
    ['a string', '"ping"', 'string'],
    ['a boolean', 'true', 'boolean'],
  ])('a non-object (%s) is INVALID_MESSAGE', (_label, text, described) => {
    expect(refused(text)).toEqual({
      code: ErrorCode.InvalidMessage,
      message: `expected a JSON object with an "action", got ${described}`,
    });
  });

  it.each([
    ['missing', {}, 'undefined'],
    ['a number', { action: 1 }, 'number'],
    ['null', { action: null }, 'null'],
    ['an array', { action: ['ping'] }, 'array'],
  ])('action %s is INVALID_MESSAGE', (_label, message, described) => {
    expect(refused(message)).toEqual({ code: ErrorCode.InvalidMessage, message: `action: expected a string, got ${described}` });
  });

  it.each(['subscribe_some', 'PING', 'Subscribe_All', ''])('unknown action %j', (action) => {
    expect(refused({ action })).toEqual({
      code: ErrorCode.UnknownAction,
      message: `unknown action "${action}"; expected subscribe_all, subscribe, unsubscribe, snapshot or ping`,
    });
  });
});

describe('what errors echo back', () => {
  it('an unknown action is echoed only as a bounded slice', () => {
    const action = 'a'.repeat(3000);
    const error = refused({ action });
    expect(error.code).toBe('UNKNOWN_ACTION');
    expect(error.message).toContain(`"${'a'.repeat(40)}"`);
    expect(error.message).not.toContain('a'.repeat(41));
    expect(error.message.length).toBeLessThan(200);
  });

  it('invalid JSON, bad filters and bad parameters echo none of the input', () => {
    const marker = 'SECRET-MARKER-1234567890';
    const cases = [
      `{"action":"${marker}`,
      JSON.stringify({ action: 'subscribe', match_ids: [{ [marker]: 1 }] }),
      JSON.stringify({ action: 'subscribe', league_ids: marker }),
      JSON.stringify({ action: 'subscribe_all', since: marker }),
      JSON.stringify({ action: 'subscribe_all', snapshot: marker }),
      JSON.stringify({ action: { [marker]: true } }),
      JSON.stringify([marker]),
    ];
    for (const text of cases) {
      const error = refused(text);
      expect(error.message, text).not.toContain(marker);
      expect(error.message.length).toBeLessThan(200);
    }
  });

  it('the ERROR frame stays one line whatever the input holds', () => {
    const error = refused({ action: 'x\ny' });
    expect(error.code).toBe('UNKNOWN_ACTION');
    expect(errorFrame(error)).not.toMatch(/\n/);
  });
});

describe('frames', () => {
  it('PONG and UNSUBSCRIBED are prepared once, with the exact seed shape', () => {
    expect(PONG_FRAME).toBe('{"type":"PONG"}');
    expect(JSON.parse(PONG_FRAME)).toEqual({ type: 'PONG' });
    expect(JSON.parse(UNSUBSCRIBED_FRAME)).toEqual({ type: 'UNSUBSCRIBED' });
  });

  it('errorFrame is {"type":"ERROR","code","message"} and nothing else', () => {
    const error = refused('nope');
    const frame = errorFrame(error);
    expect(JSON.parse(frame)).toEqual({ type: 'ERROR', code: 'INVALID_JSON', message: 'message is not valid JSON' });
    expect(Object.keys(JSON.parse(frame) as object)).toEqual(['type', 'code', 'message']);
  });

  it('error codes are the documented strings', () => {
    expect(ErrorCode).toEqual({
      InvalidJson: 'INVALID_JSON',
      InvalidMessage: 'INVALID_MESSAGE',
      UnknownAction: 'UNKNOWN_ACTION',
      BinaryNotSupported: 'BINARY_NOT_SUPPORTED',
      InvalidFilter: 'INVALID_FILTER',
      InvalidParameter: 'INVALID_PARAMETER',
    });
  });
});
