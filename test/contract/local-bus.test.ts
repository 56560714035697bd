/**
 * The bus contract on the in-process bus (one process: the writer publishes on the bus its own
 * fan-out subscribes to), over a real in-memory store; and what only the local bus promises: a
 * batch that follows on is delivered synchronously, inside `publish`.
 */
import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/bus/local-bus.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import type { Commit } from '../../src/store/types.js';
import { busContract, commitAndPublish, goals, Recorder } from './bus.contract.js';

busContract('LocalBus', {
  async open() {
    const store = new MemoryEventStore();
    const bus = new LocalBus({ store });
    return {
      buses: [bus],
      epoch: (await store.bounds()).epoch,
      commit: (commit: Commit) => commitAndPublish(store, (batch) => bus.publish(batch), commit),
      close: () => bus.close(),
    };
  },
});

describe('LocalBus specifics', () => {
  it('once caught up, a batch that follows on reaches the subscriber inside publish (a direct call, as before the bus)', async () => {
    const store = new MemoryEventStore();
    const bus = new LocalBus({ store });
    const first = await store.commit({ events: goals(2), states: [], forget: [] });
    const recorder = new Recorder();
    bus.subscribe({ epoch: (await store.bounds()).epoch, seq: 0 }, recorder.onBatch);
    await recorder.untilSeq(2);
    // The catch-up's last promise callbacks run before the next macrotask: it is idle after this.
    await new Promise((resolve) => setImmediate(resolve));
    const events = await store.commit({ events: goals(1), states: [], forget: [] });
    bus.publish({ events, seq: 3, statesChanged: false });
    expect(recorder.seqs).toEqual([1, 2, 3]);
    expect(recorder.batches.at(-1)?.events).toBe(events);
    expect(first.map((event) => event.seq)).toEqual([1, 2]);
    await bus.close();
  });

  it('a subscriber that throws is reported; it and the others keep getting later batches', async () => {
    const store = new MemoryEventStore();
    const errors: Error[] = [];
    const bus = new LocalBus({ store, onError: (error) => errors.push(error) });
    const epoch = (await store.bounds()).epoch;
    const thrower = new Recorder();
    const bystander = new Recorder();
    bus.subscribe({ epoch, seq: 0 }, (batch) => {
      thrower.onBatch(batch);
      throw new Error('subscriber failed');
    });
    bus.subscribe({ epoch, seq: 0 }, bystander.onBatch);
    for (let i = 0; i < 3; i += 1) await commitAndPublish(store, (batch) => bus.publish(batch), { events: goals(1), states: [], forget: [] });
    await bystander.untilSeq(3);
    await thrower.untilSeq(3);
    expect(thrower.seqs).toEqual([1, 2, 3]);
    expect(bystander.seqs).toEqual([1, 2, 3]);
    expect(errors.map((error) => error.message)).toEqual(['subscriber failed', 'subscriber failed', 'subscriber failed']);
    await bus.close();
  });
});
