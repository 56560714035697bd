/** A writable that can be corked: a `net.Socket`, or an `http.ServerResponse`. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly writableCorked: number;
}

/**
 * Corks a stream until the current tick ends, so the frames of one publish batch (a goal and its
 * score update, or a replay page) leave in one system call per socket instead of one per frame.
 * One shared list and one scheduled flush per tick: nothing is allocated per client.
 */
export class TickCorker {
  private readonly corked: Corkable[] = [];
  private flushScheduled = false;

  cork(stream: Corkable): void {
    if (stream.writableCorked > 0) return;
    stream.cork();
    this.corked.push(stream);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const stream of this.corked) stream.uncork();
    this.corked.length = 0;
  };
}

/** A stream that reports `'drain'` and `'close'`: a `net.Socket`, or an `http.ServerResponse`. */
export interface Drainable {
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * Calls `listener` once, on the stream's next `'drain'` or its `'close'`, whichever comes first
 * (the other listener is removed, so a long-lived socket collects none).
 */
export function onceDrainedOrClosed(stream: Drainable, listener: () => void): void {
  const done = (): void => {
    stream.off('drain', done);
    stream.off('close', done);
    listener();
  };
  stream.once('drain', done);
  stream.once('close', done);
}
