/**
 * The primary of a `WORKERS` > 1 instance. It only supervises: it holds the instance-wide DATA_DIR
 * lock, runs the built-in simulated provider when there is one, forks the workers (which share
 * BIND_ADDRESS through node:cluster), names exactly one of them the writer, relays the writer's
 * committed batches to the others, answers `/metrics` with every worker's metrics aggregated,
 * replaces a worker that dies, and relays shutdown. Any worker, the writer included, can die: a
 * ready worker is named writer at once (with a new fencing token) and a replacement is forked.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { isFscMessage, WorkerEnv, type PrimaryMessage, type WorkerMessage } from './messages.js';

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
}

export interface Supervisor {
  /** Graceful stop of every worker (SIGTERM), then `onStopped`. Resolves `true` when all exited in time. */
  stop(): Promise<boolean>;
}

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { logger, config } = options;
  const instanceId = randomUUID();
  const aggregator = new AggregatorRegistry();
  const ready = new Set<Worker>();
  let writer: Worker | undefined;
  let generation = 0;
  let stopping = false;
  let reportedListening = false;

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };

  const fork = () => {
    const worker = cluster.fork({
      ...options.workerEnv,
      [WorkerEnv.Count]: String(options.workers),
      [WorkerEnv.InstanceId]: instanceId,
    });
    worker.on('message', (message: unknown) => onMessage(worker, message));
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

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isFscMessage(message)) return;
    const msg = message as WorkerMessage;
    switch (msg.fsc) {
      case 'ready':
        ready.add(worker);
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
      case 'metrics':
        aggregator.clusterMetrics().then(
          (text) => send(worker, { fsc: 'metrics', id: msg.id, text }),
          (error: unknown) => send(worker, { fsc: 'metrics', id: msg.id, text: '', error: error instanceof Error ? error.message : String(error) }),
        );
        return;
    }
  };

  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker);
    const wasWriter = worker === writer;
    if (wasWriter) writer = undefined;
    if (stopping) return;
    logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal, was_writer: wasWriter }, 'worker died; replacing it');
    fork();
    if (wasWriter) assignWriter();
  });

  logger.info({ workers: options.workers, instance_id: instanceId }, `starting ${options.workers} workers`);
  for (let i = 0; i < options.workers; i += 1) fork();

  return {
    async stop() {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      const exited = alive.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      // Over IPC rather than SIGTERM: a worker that also got the signal directly (Ctrl-C or a
      // supervisor signalling the whole process group) must not read this as a second signal.
      for (const worker of alive) send(worker, { fsc: 'shutdown' });
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        Promise.all(exited).then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownReadyGraceMs + config.shutdownTimeoutMs))),
      ]);
      clearTimeout(timer);
      if (!inTime) for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      await options.onStopped();
      return inTime;
    },
  };
}
