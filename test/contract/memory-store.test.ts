/**
 * The store contract on the in-memory store (for tests that need speed): a location is a
 * `MemoryHistory`, which a reopened store (or a second one, as after kill -9) opens again.
 */
import { MemoryEventStore, MemoryHistory } from '../../src/store/memory-event-store.js';
import { storeContract } from './store.contract.js';

const histories = new Map<string, MemoryHistory>();
let places = 0;

const history = (location: string): MemoryHistory => {
  const found = histories.get(location);
  if (found === undefined) throw new Error(`no memory history at ${location}`);
  return found;
};

storeContract('MemoryEventStore', {
  newLocation() {
    const location = `memory-${(places += 1)}`;
    histories.set(location, new MemoryHistory());
    return Promise.resolve(location);
  },
  open: (location) => Promise.resolve(new MemoryEventStore(history(location))),
  dispose: (location) => Promise.resolve(void histories.delete(location)),
  pruneChunk: 2000,
  writeRawState: (location, key, raw) => Promise.resolve(void history(location).states.set(key, { json: raw, endedAt: undefined })),
  damagePrunedCounter: (location) => Promise.resolve(void (history(location).prunedThrough = 'abc')),
});
