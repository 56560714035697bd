/**
 * The bus contract on the IPC bus between workers, over a fake channel: an in-process primary that
 * relays each worker's messages to every other worker, asynchronously, as structured clones (as
 * node:cluster's IPC does). The channel is a transport, not our logic; the store is a real
 * in-memory one shared by the workers (as they share the SQLite file). Then what only the IPC bus
 * meets: a relay lost with a dying writer, and a batch that arrives after a hole.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { IpcBus, type PrimaryChannel } from '../../src/bus/ipc-bus.js';
import type { BatchMessage } from '../../src/bus/ipc-messages.js';
import type { BusReset } from '../../src/bus/types.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import type { Commit } from '../../src/store/types.js';
import { busContract, commitAndPublish, goals, Recorder } from './bus.contract.js';
import { until } from '../helpers/waits.js';

/** The primary's side: relays what one worker sends to every other, in order, on a later turn. */
class FakePrimary {
  private readonly workers = new Set<WorkerEnd>();
  /** Messages the primary drops instead of relaying (a writer that died mid-relay). */
  dropNext = 0;

  connect(): WorkerEnd {
    const end = new WorkerEnd(this);
    this.workers.add(end);
    return end;
  }

  relay(from: WorkerEnd, message: BatchMessage): void {
    if (this.dropNext > 0) {
      this.dropNext -= 1;
      return;
    }
    const copy = structuredClone(message);
    for (const worker of this.workers) if (worker !== from) setImmediate(() => worker.emit('message', copy));
  }
}

class WorkerEnd extends EventEmitter implements PrimaryChannel {
  constructor(private readonly primary: FakePrimary) {
    super();
  }

  send(message: BatchMessage): boolean {
    this.primary.relay(this, message);
    return true;
  }
}

/** `count` goals recorded long ago (the next prune takes them). */
const old = (count: number) => goals(count).map((pending) => ({ ...pending, timestamp: '2020-01-01T00:00:00.000Z' }));

function workers(count: number, onReset?: (reset: BusReset) => void) {
  const primary = new FakePrimary();
  const store = new MemoryEventStore();
  const errors: Error[] = [];
  const ends = Array.from({ length: count }, () => primary.connect());
  const buses = ends.map((channel) => new IpcBus({ channel, store, onError: (error) => errors.push(error), onReset }));
  return { primary, store, ends, buses, errors };
}

busContract('IpcBus (a fake channel between three workers)', {
  async open() {
    const { store, buses } = workers(3);
    const writer = buses[0] as IpcBus;
    return {
      buses,
      epoch: (await store.bounds()).epoch,
      commit: (commit: Commit) => commitAndPublish(store, (batch) => writer.publish(batch), commit),
      async close() {
        for (const bus of buses) await bus.close();
      },
    };
  },
});

describe('IpcBus specifics', () => {
  it('a relay lost with a dying writer: the next batch arrives after a hole, and the hole is read from the store first', async () => {
    const { primary, store, buses, errors } = workers(2);
    const [writer, follower] = buses as [IpcBus, IpcBus];
    const epoch = (await store.bounds()).epoch;
    const recorder = new Recorder();
    follower.subscribe({ epoch, seq: 0 }, recorder.onBatch);
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(2), states: [], forget: [] });
    await recorder.untilSeq(2);
    primary.dropNext = 1;
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(3), states: [], forget: [] });
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(1), states: [], forget: [] });
    await recorder.untilSeq(6);
    expect(recorder.seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(errors).toEqual([]);
    for (const bus of buses) await bus.close();
  });

  it('a hole that was pruned meanwhile is not skipped silently: the subscriber is told (too-old) and goes on after it', async () => {
    const resets: BusReset[] = [];
    const { primary, store, buses } = workers(2, (reset) => resets.push(reset));
    const [writer, follower] = buses as [IpcBus, IpcBus];
    const epoch = (await store.bounds()).epoch;
    const recorder = new Recorder();
    follower.subscribe({ epoch, seq: 0 }, recorder.onBatch);
    // Once seq 1 is delivered the subscription has caught up (live batches wait behind its catch-up).
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: old(1), states: [], forget: [] });
    await recorder.untilSeq(1);
    primary.dropNext = 1;
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: old(2), states: [], forget: [] });
    await store.prune(new Date(Date.now() - 60_000));
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(2), states: [], forget: [] });
    await recorder.untilSeq(5);
    expect(recorder.seqs).toEqual([1, 4, 5]);
    expect(resets).toEqual([{ reason: 'too-old', epoch, seq: 3 }]);
    for (const bus of buses) await bus.close();
  });

  it('without a reset handler a subscription behind a pruned hole stops and says why, rather than skip', async () => {
    const { primary, store, buses, errors } = workers(2);
    const [writer, follower] = buses as [IpcBus, IpcBus];
    const recorder = new Recorder();
    follower.subscribe({ epoch: (await store.bounds()).epoch, seq: 0 }, recorder.onBatch);
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: old(1), states: [], forget: [] });
    await recorder.untilSeq(1);
    primary.dropNext = 1;
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: old(1), states: [], forget: [] });
    await store.prune(new Date(Date.now() - 60_000));
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(1), states: [], forget: [] });
    await until(() => errors.length > 0, 'the subscription to report why it stopped');
    expect(errors.map((error) => error.name)).toEqual(['BusResetUnhandledError']);
    // It delivered nothing after the hole, and takes nothing more.
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(1), states: [], forget: [] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.seqs).toEqual([1]);
    for (const bus of buses) await bus.close();
  });

  it('a malformed relayed batch never reaches a subscriber: dropped, reported, and its hole read from the store', async () => {
    const { store, ends, buses, errors } = workers(2);
    const [writer, follower] = buses as [IpcBus, IpcBus];
    const recorder = new Recorder();
    follower.subscribe({ epoch: (await store.bounds()).epoch, seq: 0 }, recorder.onBatch);
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(1), states: [], forget: [] });
    await recorder.untilSeq(1);
    const stored = await store.commit({ events: goals(2), states: [], forget: [] });
    const forged = [
      { fsc: 'batch' },
      { fsc: 'batch', batch: { events: 'x', seq: 3, statesChanged: false } },
      { fsc: 'batch', batch: { events: [{ ...stored[0], json: 7 }], seq: 3, statesChanged: false } },
      { fsc: 'batch', batch: { events: [...stored].reverse(), seq: 3, statesChanged: false } },
      { fsc: 'batch', batch: { events: stored, seq: '3', statesChanged: false } },
    ];
    for (const message of forged) ends[1]?.emit('message', message);
    expect(errors.map((error) => error.name)).toEqual(forged.map(() => 'MalformedBatchError'));
    expect(recorder.seqs).toEqual([1]);
    await commitAndPublish(store, (batch) => writer.publish(batch), { events: goals(1), states: [], forget: [] });
    await recorder.untilSeq(4);
    expect(recorder.seqs).toEqual([1, 2, 3, 4]);
    for (const bus of buses) await bus.close();
  });
});
