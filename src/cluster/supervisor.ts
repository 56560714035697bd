/**
 * The primary of a `WORKERS` > 1 instance. It only supervises: it holds the instance-wide DATA_DIR
 * lock, runs the built-in simulated provider when there is one, forks the workers (which share
 * BIND_ADDRESS through node:cluster), names exactly one of them the writer, relays the writer's
 * committed batches to the others, answers `/metrics` with every worker's metrics aggregated,
 * counts the instance's connection slots for every worker (`slot-ledger.ts`), replaces a worker that
 * dies, and relays shutdown. Any worker, the writer included, can die: a ready worker is named
 * writer at once (with a new fencing token) and a replacement is forked.
 *
 * A worker that dies before it is ready is re-forked after a back-off (0.25 s, doubling up to 8 s);
 * after `WORKERS` + 2 such deaths with no worker becoming ready in between, the instance gives up
 * (`onFailed`, with the cause the worker reported): it could not start, as a single process that
 * cannot start exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import type { ClusterSchedulingPolicy, Config } from '../config.js';
import type { Logger } from '../log.js';
import { isFscMessage, WorkerEnv, type PrimaryMessage, type WorkerMessage } from './messages.js';
import { PrimarySlotLedger } from './slot-ledger.js';

/** First back-off before re-forking a worker that died before it was ready; doubles each time. */
const START_BACKOFF_MS = 250;
const MAX_START_BACKOFF_MS = 8_000;

export interface SupervisorOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly workers: number;
  /** Name one worker the writer and relay its batches (false on Redis, where a lease decides). */
  readonly assignWriter: boolean;
  /** Extra environment for every worker (the simulated provider's URL). */
  readonly workerEnv: Readonly<Record<string, string>>;
  /** Released after every worker has exited (the DATA_DIR lock, the simulator). */
  readonly onStopped: () => Promise<void>;
  /**
   * Workers keep dying before they are ready: the instance cannot start. `cause` is one line (what
   * the last worker reported, e.g. "BIND_ADDRESS 0.0.0.0:8080 is already in use"). The caller stops
   * the supervisor and exits non-zero.
   */
  readonly onFailed: (cause: string) => void;
}

export interface Supervisor {
  /**
   * Graceful stop of every worker, then `onStopped`; every call returns the same promise. Ready
   * workers are told over IPC; workers still starting (they serve nothing yet) get SIGTERM.
   * Resolves `true` when all exited in time.
   */
  stop(): Promise<boolean>;
  /** The instance's connection slots (tests and benchmarks read them). */
  readonly slots: PrimarySlotLedger;
}

/**
 * Who accepts connections: the workers themselves, on the listening socket they share
 * (`SCHED_NONE`), unless `NODE_CLUSTER_SCHED_POLICY=rr` asks for Node's default on Linux, where the
 * primary accepts every connection and hands it to a worker over IPC. That hand-over cost 100–300 µs
 * of CPU per connection on the 2-core benchmark machine (a third of what a connection costs with
 * `WORKERS=2`) and puts the primary's one core in the path of every accept during a reconnect storm;
 * neither way spreads connections exactly evenly (docs/scale-out.md has the measurements). The
 * instance-wide slots (slot-ledger.ts) and each process's socket budget hold either way.
 */
export function clusterSchedulingPolicy(policy: ClusterSchedulingPolicy): number {
  return policy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
}

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { logger, config } = options;
  // Before the first fork: the policy is fixed then.
  cluster.schedulingPolicy = clusterSchedulingPolicy(config.clusterSchedulingPolicy);
  const instanceId = randomUUID();
  const aggregator = new AggregatorRegistry();
  const ready = new Set<Worker>();
  /** Why a worker could not start, as it reported before exiting. */
  const failures = new Map<Worker, string>();
  const slots = new PrimarySlotLedger(config.limits);
  let writer: Worker | undefined;
  let generation = 0;
  let stopping: Promise<boolean> | undefined;
  let reportedListening = false;
  /** Workers that died before they were ready, since a worker was last ready. */
  let startFailures = 0;
  const maxStartFailures = options.workers + 2;
  const backoffTimers = new Set<NodeJS.Timeout>();

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };

  const fork = () => {
    const worker = cluster.fork({
      ...options.workerEnv,
      [WorkerEnv.Count]: String(options.workers),
      [WorkerEnv.InstanceId]: instanceId,
    });
    worker.on('message', (message: unknown, handle: unknown) => onMessage(worker, message, handle));
    return worker;
  };

  /** Names a ready worker the writer when there is none. */
  const assignWriter = () => {
    if (stopping || writer !== undefined || !options.assignWriter) return;
    const next = [...ready].sort((a, b) => a.id - b.id)[0];
    if (next === undefined) return;
    writer = next;
    generation += 1;
    const fence = `${instanceId}:${generation}`;
    logger.info({ worker: next.id, pid: next.process.pid, fence }, 'worker named the writer (it polls, detects and commits)');
    send(next, { fsc: 'role', role: 'writer', fence });
  };

  /**
   * A connection a worker accepted near its socket budget: handed to the ready worker holding the
   * fewest connections (the instance's limits are counted here, so it is admitted there as if it
   * had been accepted there). Node starts reading a socket it receives: stopped at once, so the
   * bytes the client sent travel on with it. With no other worker it is closed.
   */
  const handOff = (from: Worker, socket: Socket) => {
    (socket as Socket & { _handle?: { readStop?: () => number } })._handle?.readStop?.();
    // Behind Node's own acknowledgement on the channel: the sender has closed its descriptor by then.
    send(from, { fsc: 'handoff-taken' });
    const candidates = [...ready].filter((w) => w !== from && w.isConnected());
    const targetId = slots.roomiest(candidates.map((w) => w.id));
    const target = candidates.find((w) => w.id === targetId);
    if (target === undefined || stopping !== undefined) {
      socket.destroy();
      return;
    }
    target.send({ fsc: 'handoff' } satisfies PrimaryMessage, socket, (error: Error | null) => {
      if (error !== null) {
        logger.debug({ error: error.message }, 'passing a connection to another worker failed; closed');
        socket.destroy();
      }
    });
  };

  const onMessage = (worker: Worker, message: unknown, handle: unknown) => {
    if (!isFscMessage(message)) return;
    const msg = message as WorkerMessage;
    switch (msg.fsc) {
      case 'ready':
        ready.add(worker);
        startFailures = 0;
        logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker ready');
        if (!reportedListening && ready.size === options.workers) {
          reportedListening = true;
          logger.info({ workers: options.workers }, `all ${options.workers} workers are listening`);
        }
        if (writer === undefined) assignWriter();
        if (writer !== worker && options.assignWriter) send(worker, { fsc: 'role', role: 'follower' });
        return;
      case 'batch':
        // Only the current writer's batches are relayed: a demoted one's would be stale.
        if (worker !== writer) return;
        for (const other of ready) if (other !== worker) send(other, { fsc: 'batch', batch: msg.batch });
        return;
      case 'slots': {
        const answer = slots.handle(worker.id, msg);
        if (answer !== undefined) send(worker, answer);
        return;
      }
      case 'handoff':
        if (handle instanceof Socket) handOff(worker, handle);
        return;
      case 'failed':
        failures.set(worker, typeof msg.message === 'string' ? msg.message.slice(0, 500) : 'start-up failed');
        return;
      case 'metrics':
        aggregator.clusterMetrics().then(
          (text) => send(worker, { fsc: 'metrics', id: msg.id, text }),
          (error: unknown) => send(worker, { fsc: 'metrics', id: msg.id, text: '', error: error instanceof Error ? error.message : String(error) }),
        );
        return;
    }
  };

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = ready.delete(worker);
    slots.forget(worker.id);
    const wasWriter = worker === writer;
    if (wasWriter) writer = undefined;
    const failure = failures.get(worker);
    failures.delete(worker);
    if (stopping !== undefined) return;
    if (!wasReady) {
      // Died before it was ready: it would most likely die the same way at once again.
      startFailures += 1;
      const cause = failure ?? `a worker exited during start-up (${signal === null ? `code ${code}` : `signal ${signal}`})`;
      if (startFailures >= maxStartFailures) {
        logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, attempts: startFailures }, 'workers keep failing to start; giving up');
        options.onFailed(cause);
        return;
      }
      const delay = Math.min(MAX_START_BACKOFF_MS, START_BACKOFF_MS * 2 ** (startFailures - 1));
      logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, cause, retry_in_ms: delay }, 'worker failed to start; forking another after a back-off');
      const timer = setTimeout(() => {
        backoffTimers.delete(timer);
        if (stopping === undefined) fork();
      }, delay);
      backoffTimers.add(timer);
      return;
    }
    logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, was_writer: wasWriter }, 'worker died; replacing it');
    fork();
    if (wasWriter) assignWriter();
  });

  logger.info({ workers: options.workers, instance_id: instanceId }, `starting ${options.workers} workers`);
  for (let i = 0; i < options.workers; i += 1) fork();

  const stop = async (): Promise<boolean> => {
    for (const timer of backoffTimers) clearTimeout(timer);
    backoffTimers.clear();
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const exited = alive.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const worker of alive) {
      // Over IPC rather than SIGTERM: a worker that also got the signal directly (Ctrl-C or a
      // supervisor signalling the whole process group) reads both as one request. A worker still
      // starting may not listen for IPC yet; it serves nothing, so a signal ends it at once.
      if (ready.has(worker)) send(worker, { fsc: 'shutdown' });
      else worker.process.kill('SIGTERM');
    }
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      Promise.all(exited).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownReadyGraceMs + config.shutdownTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    await options.onStopped();
    return inTime;
  };

  return {
    slots,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
