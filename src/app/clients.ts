/**
 * The client-facing part: the admission gate both streaming transports share, the HTTP server
 * (REST, `/health`, SSE) and the WebSocket binding on the same port.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config.js';
import { CloseCode } from '../domain/protocol.js';
import type { WorkerLink } from '../cluster/worker-link.js';
import { WorkerSlotLedger, type SlotChannel } from '../cluster/slot-ledger.js';
import type { MatchBook } from '../engine/match-book.js';
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { AdmissionControl } from '../server/admission.js';
import { Authenticator } from '../server/auth.js';
import { createHttpServer, type HttpDeps, type UpstreamHealthView } from '../server/http.js';
import type { Readiness } from '../server/probes.js';
import { SseBinding } from '../server/sse.js';
import { WsBinding, type FanoutMode } from '../server/ws.js';
import type { MonitoredEventStore } from '../store/monitored-store.js';
import type { Parts } from './parts.js';

/** Where the instance is in its life, as `/readyz`, `/health` and admission see it. */
export interface Lifecycle {
  /** Not ready until start-up is complete. */
  starting: boolean;
  /** From the shutdown signal on, `/readyz` fails while clients are still served for the grace. */
  draining: boolean;
  /** Clients are being closed: new ones are refused, `/health` is unhealthy. */
  shuttingDown: boolean;
}

export interface ClientsOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: MonitoredEventStore;
  readonly hub: Hub;
  readonly book: MatchBook;
  readonly parts: Parts;
  readonly lifecycle: Lifecycle;
  readonly worker: WorkerLink | undefined;
  /** Each worker counts its own connection slots (benchmarks only). */
  readonly localAdmission: boolean;
  readonly fanoutMode: FanoutMode | undefined;
  readonly startedAt: number;
  readonly upstreamHealth: () => Promise<UpstreamHealthView> | UpstreamHealthView;
  /** `/health` fields of the deployment mode (workers, node, Redis). */
  readonly extraHealth: HttpDeps['extraHealth'];
  /** Whether a shared Redis is connected (undefined: no Redis). */
  readonly redisConnected: (() => boolean) | undefined;
}

export interface ServedClients {
  readonly admission: AdmissionControl;
  /** `http://host:port` as bound (port 0 resolved). */
  readonly url: string;
  readonly port: number;
  /** Logs the `listening on` line (once the writer's sources and the lease run). */
  announce(): void;
  /** The `clients` part of the shutdown: every client is closed with 1001 and drained. */
  close(): Promise<void>;
}

/** Says which setting the listen address came from, for the start-up log line. */
function bindSourceText(config: Config): string {
  if (config.bindSource === 'PORT') return `PORT=${config.port}, as BIND_ADDRESS is not set`;
  if (config.bindSource === 'BIND_ADDRESS') return 'BIND_ADDRESS';
  return 'the default: set BIND_ADDRESS or PORT to change it';
}

/** Opens the HTTP server and the WebSocket binding, and listens. */
export async function serveClients(options: ClientsOptions): Promise<ServedClients> {
  const { config, logger, metrics, store, hub, book, parts, lifecycle, worker } = options;
  const authenticator = new Authenticator(config.auth);
  // One admission gate and one count of slots for both streaming transports (/ws and /events/stream).
  const { handshakeTimeoutMs } = config.limits;
  // With WORKERS the slots are counted in the primary, so both limits hold for the whole instance.
  const admission = new AdmissionControl({
    logger,
    metrics,
    authenticator,
    allowedOrigins: config.allowedOrigins,
    maxConnections: config.limits.maxConnections,
    maxConnectionsPerIp: config.limits.maxConnectionsPerIp,
    ...(worker && !options.localAdmission ? { ledger: new WorkerSlotLedger(worker.channel as unknown as SlotChannel) } : {}),
    accepting: () => !lifecycle.shuttingDown,
    // A worker near its socket budget passes new connections to the worker with the most room.
    ...(worker ? { handOff: (socket: Socket) => worker.handOff(socket) } : {}),
  });
  worker?.onHandedOver((socket) => admission.adopt(socket));
  worker?.onHandOffTaken(() => admission.handedOff());
  if (config.limits.maxConnectionsPerIp >= admission.socketBudget) {
    logger.warn(
      { max_connections_per_ip: config.limits.maxConnectionsPerIp, socket_budget: admission.socketBudget },
      'MAX_CONNECTIONS_PER_IP lets one address take every socket this process can hold (its open-file limit): raise the limit (ulimit -n) or lower MAX_CONNECTIONS_PER_IP',
    );
  }
  const sse = new SseBinding({ hub, store, logger, heartbeatIntervalMs: config.heartbeatIntervalMs });
  parts.add('clients', () => sse.close());
  const redisConnected = options.redisConnected;
  const http = await createHttpServer({
    streams: { admission, sse, handshakeTimeoutMs },
    keepAliveTimeoutMs: config.limits.keepAliveTimeoutMs,
    logger,
    metrics,
    store,
    authenticator,
    metricsToken: config.auth.metricsToken,
    allowedOrigins: config.allowedOrigins,
    upstreamSource: config.upstream.useBuiltInSim ? 'simulated' : config.upstream.provider,
    upstreamHealth: options.upstreamHealth,
    storeHealth: () => store.health(),
    ...(worker ? { metricsText: () => worker.clusterMetrics() } : {}),
    ...(redisConnected ? { storeOutage: 'degraded' as const } : {}),
    ...(options.extraHealth ? { extraHealth: options.extraHealth } : {}),
    connections: () => hub.connectionCount,
    liveMatches: () => book.liveCount,
    snapshot: () => book.snapshot(() => true),
    match: (matchId) => book.match(matchId),
    shuttingDown: () => lifecycle.shuttingDown,
    readiness: (): Readiness => {
      if (lifecycle.starting) return { ready: false, reason: 'starting' };
      if (lifecycle.draining) return { ready: false, reason: 'draining' };
      const storeHealth = store.health();
      if (storeHealth.failing) return { ready: false, reason: 'store_failing', detail: storeHealth.lastError ?? 'store failing' };
      if (redisConnected !== undefined && !redisConnected()) return { ready: false, reason: 'store_failing', detail: 'Redis is not connected' };
      return { ready: true };
    },
    startedAt: options.startedAt,
  });
  parts.add('http', () => http.close());
  admission.watch(http.server);
  const binding = new WsBinding({
    server: http.server,
    hub,
    logger,
    metrics,
    admission,
    handshakeTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    ...(options.fanoutMode ? { fanoutMode: options.fanoutMode } : {}),
  });
  parts.add('clients', () => binding.close());

  await http.listen({ host: config.host, port: config.port });
  const address = http.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const local = config.host === '0.0.0.0' || config.host === '::' ? `http://localhost:${address.port}` : url;
  const announce = () =>
    logger.info(
      { url, websocket: `${url.replace('http', 'ws')}/ws`, port: address.port, bind_from: config.bindSource },
      `listening on ${url} (${bindSourceText(config)}): open ${local}/ for the live test page, WebSocket at ${local.replace('http', 'ws')}/ws`,
    );
  return {
    admission,
    url,
    port: address.port,
    announce,
    async close() {
      logger.info({ clients: hub.connectionCount }, 'closing client connections with 1001');
      hub.closeAll(CloseCode.GoingAway, 'shutdown');
      await Promise.all([binding.drain(2_000), sse.drain(2_000)]);
    },
  };
}
