/**
 * The WebSocket heartbeat's timer wheel (issue 19): every connection at its own phase, a slice of
 * the loop per bucket, one prebuilt ping frame per slice. The ws binding (ws.ts) deals its
 * connections into it and says what a visit does.
 */

/** What the wheel keeps on each connection: its place in the wheel and when it was last pinged. */
export interface WheelMember {
  /** The connection's bucket (-1 once removed). */
  bucket: number;
  /** Its index in the bucket. */
  slot: number;
  /**
   * When it was last pinged, on the wheel's clock: by the wheel, or with an event (`rideDueMs`).
   * Set to the wheel's clock when it joins.
   */
  lastPingAt: number;
}

/**
 * The heartbeat as a timer wheel. Connections are dealt round-robin into `buckets` buckets; one
 * turn of the wheel takes `periodMs` (a quarter of the shorter of the interval and the timeout), and each
 * slice of it visits one bucket: it terminates the clients silent past the timeout, closes those
 * whose token expired, and pings those due: last pinged at least `pingDueMs` (the interval less half
 * a turn) ago, so an idle client is pinged once per interval, at its own phase.
 * A slice touches ~1/`buckets` of the clients (at 5 s: 62 slices of 20 ms, ~270 clients per slice
 * at 16,700 sockets), so the loop is never held for long, and the pings of a slice share one prebuilt
 * frame whose payload is the slice's number.
 *
 * A ping may also ride with an event (the binding's `send`): once a client is within a turn of its
 * next ping (`rideDueMs`), the next frame written to it takes the ping along in the same system call,
 * and the wheel then finds it not due. While goals are scored, most pings leave that way; the wheel
 * pings the idle clients.
 *
 * A slice runs late when the loop is busy (a large fan-out); it then visits at most
 * `MAX_BUCKETS_PER_TICK` of the buckets it missed, and the next ticks catch up the rest, so a late
 * tick holds the loop no longer than a few slices' worth. Behind by more than a turn, each bucket
 * is visited once.
 */
export class HeartbeatWheel<T extends WheelMember> {
  /**
   * The wheel's clock: monotonic ms (`performance.now()`) at the current slice; pongs are stamped with
   * it (no clock read per pong), and a step of the wall clock neither stops the heartbeat nor times
   * every client out at once.
   */
  now = performance.now();
  private readonly buckets: T[][];
  private readonly sliceMs: number;
  /** A client last pinged this long ago is pinged at its visit: the interval less half a turn. */
  readonly pingDueMs: number;
  /** A client last pinged this long ago takes a ping with its next frame: the interval less a turn. */
  readonly rideDueMs: number;
  private readonly startedAt = performance.now();
  /** Slices visited so far (the next bucket is `visited % buckets.length`). */
  private visited = 0;
  private nextBucket = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    intervalMs: number,
    timeoutMs: number,
    private readonly visit: (connection: T, now: number, wallNow: number, ping: Buffer | undefined) => void,
    targetSliceMs = 20,
  ) {
    const shape = wheelShape(intervalMs, timeoutMs, targetSliceMs);
    this.buckets = Array.from({ length: shape.buckets }, () => []);
    this.sliceMs = shape.sliceMs;
    const periodMs = shape.sliceMs * shape.buckets;
    this.pingDueMs = intervalMs - periodMs / 2;
    this.rideDueMs = Math.max(periodMs / 2, intervalMs - periodMs);
    // unref: the heartbeat must not keep a stopping process alive.
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.sliceMs))).unref();
  }

  /** Buckets of the wheel (one slice each per turn). */
  get bucketCount(): number {
    return this.buckets.length;
  }

  add(connection: T): void {
    const bucket = this.buckets[this.nextBucket] as T[];
    connection.bucket = this.nextBucket;
    connection.slot = bucket.length;
    connection.lastPingAt = this.now;
    bucket.push(connection);
    this.nextBucket = (this.nextBucket + 1) % this.buckets.length;
  }

  remove(connection: T): void {
    const bucket = this.buckets[connection.bucket];
    if (bucket === undefined) return;
    const last = bucket.pop() as T;
    if (last !== connection) {
      bucket[connection.slot] = last;
      last.slot = connection.slot;
    }
    connection.bucket = -1;
    connection.slot = -1;
  }

  private tick(): void {
    const now = performance.now();
    this.now = now;
    const wallNow = Date.now();
    const due = Math.floor((now - this.startedAt) / this.sliceMs);
    // Late by more than a turn: each bucket once.
    if (due - this.visited > this.buckets.length) this.visited = due - this.buckets.length;
    for (let visits = 0; this.visited < due && visits < MAX_BUCKETS_PER_TICK; visits += 1) {
      const slice = this.visited;
      this.visited += 1;
      this.visitBucket(slice, now, wallNow);
    }
  }

  private visitBucket(slice: number, now: number, wallNow: number): void {
    const bucket = this.buckets[slice % this.buckets.length] as T[];
    let frame: Buffer | undefined;
    // Backwards: a connection removed while visiting is replaced by one already visited.
    for (let i = bucket.length - 1; i >= 0; i -= 1) {
      const connection = bucket[i] as T;
      let ping: Buffer | undefined;
      if (now - connection.lastPingAt >= this.pingDueMs) {
        connection.lastPingAt = now;
        ping = frame ??= pingFrame(slice);
      }
      this.visit(connection, now, wallNow, ping);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The wheel for a heartbeat: one turn is a quarter of the shorter of the interval and the timeout
 * (so a silent client is dropped at most a quarter of a timeout late), cut into slices of about
 * `targetSliceMs`. A
 * quarter, not a half: the finer the turn, the closer to its interval a ping can ride with an event
 * (`rideDueMs`, a turn early), so riding pings add few pongs.
 */
export function wheelShape(intervalMs: number, timeoutMs: number, targetSliceMs = 20): { buckets: number; sliceMs: number } {
  const periodMs = Math.max(10, Math.min(intervalMs, timeoutMs) / 4);
  const buckets = Math.max(1, Math.round(periodMs / targetSliceMs));
  return { buckets, sliceMs: periodMs / buckets };
}

/** Buckets one late timer tick may visit: the rest wait for the next ticks (every slice). */
const MAX_BUCKETS_PER_TICK = 4;

/** A ping frame (RFC 6455 §5.5.2) whose payload is the slice number in ASCII decimal. */
function pingFrame(slice: number): Buffer {
  const payload = String(slice);
  const frame = Buffer.allocUnsafe(2 + payload.length);
  frame[0] = 0x89; // FIN + opcode 9 (ping)
  frame[1] = payload.length;
  frame.write(payload, 2, 'latin1');
  return frame;
}
