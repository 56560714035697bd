/**
 * The instance's connection slots (server/slots.ts) and the primary's side of the WORKERS ledger
 * (cluster/slot-ledger.ts): exact against both limits, a dead worker's slots come back, and a
 * worker can only give back what it holds. The IPC itself is exercised by e2e/workers-admission.
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { PrimarySlotLedger, WorkerSlotLedger, type SlotsRequest } from '../../src/cluster/slot-ledger.js';
import { SlotCounts } from '../../src/server/slots.js';

describe('SlotCounts', () => {
  it('counts connections per address and streams in total; an extra stream takes both', () => {
    const counts = new SlotCounts({ maxConnections: 2, maxConnectionsPerIp: 2 });
    expect(counts.acquire('connection', 'a')).toBe('ok');
    expect(counts.acquire('stream', 'a')).toBe('ok');
    expect(counts.acquire('extra-stream', 'a')).toBe('ok');
    expect([counts.heldBy('a'), counts.streams]).toEqual([2, 2]);
    // Total full: a stream from anywhere is refused; a plain connection from elsewhere is not.
    expect(counts.acquire('stream', 'b')).toBe('max_connections');
    expect(counts.acquire('connection', 'b')).toBe('ok');
    expect(counts.acquire('connection', 'a')).toBe('max_connections_per_ip');
    counts.release('extra-stream', 'a');
    expect(counts.acquire('extra-stream', 'a')).toBe('ok');
    counts.release('extra-stream', 'a');
    counts.release('stream', 'a');
    counts.release('connection', 'a');
    expect([counts.heldBy('a'), counts.streams, counts.addresses]).toEqual([0, 0, 1]);
  });
});

describe('PrimarySlotLedger', () => {
  const request = (acquire: SlotsRequest['acquire'], release?: SlotsRequest['release']): SlotsRequest => ({
    fsc: 'slots',
    ...(acquire ? { acquire } : {}),
    ...(release ? { release } : {}),
  });

  it('answers every acquire of a message in order, exactly against the instance limits, across workers', () => {
    const ledger = new PrimarySlotLedger({ maxConnections: 3, maxConnectionsPerIp: 3 });
    expect(ledger.handle(1, request([[1, 'connection', 'x'], [2, 'connection', 'x']]))?.verdicts).toEqual([[1, 'ok'], [2, 'ok']]);
    expect(ledger.handle(2, request([[1, 'connection', 'x'], [2, 'connection', 'x']]))?.verdicts).toEqual([[1, 'ok'], [2, 'max_connections_per_ip']]);
    expect(ledger.heldBy('x')).toBe(3);
    // Releases come first: a release and an acquire in one message never refuse for want of the released slot.
    expect(ledger.handle(1, request([[3, 'connection', 'x']], [['connection', 'x']]))?.verdicts).toEqual([[3, 'ok']]);
    expect(ledger.handle(1, request([[4, 'stream', 'x'], [5, 'stream', 'y'], [6, 'stream', 'z'], [7, 'stream', 'w']]))?.verdicts.map(([, v]) => v)).toEqual(['ok', 'ok', 'ok', 'max_connections']);
  });

  it('gives back everything a dead worker held, and ignores releases of slots a worker does not hold', () => {
    const ledger = new PrimarySlotLedger({ maxConnections: 10, maxConnectionsPerIp: 2 });
    ledger.handle(1, request([[1, 'connection', 'x'], [2, 'stream', 'x'], [3, 'extra-stream', 'x']]));
    ledger.handle(2, request([[1, 'connection', 'y']]));
    expect([ledger.heldBy('x'), ledger.streams]).toEqual([2, 2]);
    // Worker 2 holds nothing of x: its release must not free worker 1's slot.
    expect(ledger.handle(2, request(undefined, [['connection', 'x'], ['stream', 'x']]))).toBeUndefined();
    expect([ledger.heldBy('x'), ledger.streams]).toEqual([2, 2]);
    ledger.forget(1);
    expect([ledger.heldBy('x'), ledger.heldBy('y'), ledger.streams]).toEqual([0, 1, 0]);
    ledger.forget(1);
    expect(ledger.heldBy('y')).toBe(1);
  });

  it('refuses malformed entries rather than counting them, and ignores other messages', () => {
    const ledger = new PrimarySlotLedger({ maxConnections: 10, maxConnectionsPerIp: 10 });
    expect(ledger.handle(1, { fsc: 'slots', acquire: [[1, 'nonsense', 'x'], [2, 'connection', 42]] })?.verdicts).toEqual([
      [1, 'max_connections'],
      [2, 'max_connections'],
    ]);
    expect(ledger.handle(1, { fsc: 'metrics', id: 1 })).toBeUndefined();
    expect(ledger.heldBy('x')).toBe(0);
  });
});

describe('WorkerSlotLedger', () => {
  /** Node's IPC channel as the worker sees it: what it sends, and a way to deliver the primary's answer. */
  class Channel extends EventEmitter {
    readonly sent: SlotsRequest[] = [];
    send(message: SlotsRequest): boolean {
      this.sent.push(message);
      return true;
    }
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps one request in flight: acquires made while it is unanswered leave together with its answer, releases at once', async () => {
    const channel = new Channel();
    const primary = new PrimarySlotLedger({ maxConnections: 10, maxConnectionsPerIp: 10 });
    const ledger = new WorkerSlotLedger(channel);
    const answer = (index: number) => channel.emit('message', primary.handle(1, channel.sent[index]));

    const first = [ledger.acquire('connection', 'a'), ledger.acquire('connection', 'b')];
    await turn();
    expect(channel.sent).toHaveLength(1);
    expect(channel.sent[0]?.acquire).toHaveLength(2);

    // Unanswered: three more turns of acquires wait; a release leaves at once, alone.
    const later = [ledger.acquire('stream', 'a')];
    await turn();
    later.push(ledger.acquire('stream', 'b'));
    ledger.release('connection', 'b');
    await turn();
    later.push(ledger.acquire('connection', 'c'));
    await turn();
    expect(channel.sent).toHaveLength(2);
    expect(channel.sent[1]).toEqual({ fsc: 'slots', release: [['connection', 'b']] });

    answer(0);
    expect(await Promise.all(first)).toEqual(['ok', 'ok']);
    await turn();
    expect(channel.sent).toHaveLength(3);
    expect(channel.sent[2]?.acquire?.map(([, kind, ip]) => `${kind}:${ip}`)).toEqual(['stream:a', 'stream:b', 'connection:c']);
    answer(1);
    answer(2);
    expect(await Promise.all(later)).toEqual(['ok', 'ok', 'ok']);
    expect([primary.heldBy('a'), primary.heldBy('b'), primary.heldBy('c'), primary.streams]).toEqual([1, 0, 1, 2]);
    expect(ledger.pending).toBe(0);
  });
});
