/**
 * Prometheus metrics (prom-client). One registry per service instance, so tests can run several
 * instances in one process. Labels never carry secrets or client-supplied text.
 */
import cluster from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENT_TYPES } from './domain/events.js';
import { UPSTREAM_FAILURE_KINDS } from './upstream/errors.js';

export const CLOSE_REASONS = [
  'slow_consumer',
  'rate_limited',
  'bad_messages',
  'message_too_big',
  'heartbeat_timeout',
  'token_expired',
  'internal_error',
  'shutdown',
  /** The shared history was reset (Redis came back empty) or pruned past this node: clients resume and get a snapshot. */
  'history_reset',
] as const;
export type CloseReasonLabel = (typeof CLOSE_REASONS)[number];

/** Why an upgrade or stream was refused; `shutting_down` is kept apart from `max_connections` (a full server). */
/** `max_sockets`: the process is at its socket budget (open-file limit) with no idle connection to close. */
export const REFUSAL_REASONS = ['max_connections', 'max_connections_per_ip', 'max_sockets', 'unauthorized', 'origin', 'shutting_down'] as const;
export type RefusalLabel = (typeof REFUSAL_REASONS)[number];

/** The `operation` label of `fsc_store_errors_total` (store/monitored-store.ts). */
const STORE_OPERATIONS = ['bounds', 'commit', 'read', 'load_states', 'claim_writer', 'meta', 'prune'] as const;
/**
 * What became of one push frame: news, nothing new, an empty list, not a match list at all, or
 * `failed`: handling it threw (a defect meeting input nobody foresaw), so it was dropped.
 */
export type PushFrameOutcome = 'ok' | 'duplicate' | 'empty' | 'garbage' | 'failed';

export class Metrics {
  readonly registry = new Registry();
  /** Owned by the hub (the one place that knows every client of every transport). */
  readonly connections = new Gauge({
    name: 'fsc_connections',
    help: 'Open client connections (WebSockets and SSE streams).',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'fsc_subscriptions',
    help: 'Subscribed connections (WebSockets and SSE streams) by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Owned by the hub: ids held by filtered subscriptions, bounded by MAX_FILTER_IDS. */
  readonly filterIds = new Gauge({
    name: 'fsc_filter_ids',
    help: 'Match, league and team ids held by filtered subscriptions (bounded by MAX_FILTER_IDS).',
    registers: [this.registry],
  });
  readonly filterRefusals = new Counter({
    name: 'fsc_filter_refusals_total',
    help: 'Subscriptions refused because their filter ids would pass MAX_FILTER_IDS.',
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'fsc_events_total',
    help: 'Match events recorded, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly fanoutDuration = new Histogram({
    name: 'fsc_fanout_duration_seconds',
    help: 'Time to hand one event to every subscribed connection.',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: 'fsc_upstream_request_duration_seconds',
    help: 'Upstream HTTP request duration by method and outcome.',
    labelNames: ['method', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly upstreamFailures = new Counter({
    name: 'fsc_upstream_failures_total',
    help: 'Failed upstream requests by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: 'fsc_upstream_breaker_state',
    help: 'Upstream circuit breaker: 0 closed, 1 open, 2 half-open.',
    registers: [this.registry],
  });
  /** API-Football: the request budget its answers report (`x-ratelimit-*` headers); absent until one is read. */
  readonly upstreamQuotaDayRemaining = new Gauge({
    name: 'fsc_upstream_quota_day_remaining',
    help: 'Requests left today on the provider key, as its last answer reported (API-Football).',
    registers: [this.registry],
  });
  readonly upstreamQuotaDayLimit = new Gauge({
    name: 'fsc_upstream_quota_day_limit',
    help: 'Requests per day of the provider plan, as its last answer reported (API-Football).',
    registers: [this.registry],
  });
  readonly upstreamQuotaMinuteRemaining = new Gauge({
    name: 'fsc_upstream_quota_minute_remaining',
    help: 'Requests left in the current minute on the provider key, as its last answer reported (API-Football).',
    registers: [this.registry],
  });
  /** Seconds between polls the request budget allows (at least the configured interval). */
  readonly pollIntervalSeconds = new Gauge({
    name: 'fsc_poll_interval_seconds',
    help: 'Seconds between live polls the provider budget allows right now (API-Football; at least POLL_INTERVAL_SECS).',
    registers: [this.registry],
  });
  /** Provider items (fixtures, events) dropped as unusable by the parser. */
  readonly upstreamDroppedItems = new Counter({
    name: 'fsc_upstream_dropped_items_total',
    help: 'Provider items (fixtures, events, line-up entries) the parser dropped as unusable (API-Football).',
    registers: [this.registry],
  });
  readonly polls = new Counter({
    name: 'fsc_polls_total',
    help: 'Upstream polls by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly vanishedLookups = new Counter({
    name: 'fsc_vanished_lookups_total',
    help: 'Look-ups (met=Fixtures&matchId=) of matches that vanished from the live list, by outcome (found, unknown: the provider does not know the match, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly vanishedLookupsInFlight = new Gauge({
    name: 'fsc_vanished_lookups_in_flight',
    help: 'Look-ups of vanished matches waiting for the provider now (at most VANISHED_LOOKUP_CONCURRENCY).',
    registers: [this.registry],
  });
  readonly vanishedLookupsCarriedOver = new Gauge({
    name: 'fsc_vanished_lookups_carried_over',
    help: 'Vanished matches left without a look-up by the latest poll (over its budget): looked up by the next polls.',
    registers: [this.registry],
  });
  // Every worker of an instance holds the same book: aggregated, the live count is their max, not their sum.
  readonly liveMatches = new Gauge({ name: 'fsc_live_matches', help: 'Matches currently live.', aggregator: 'max', registers: [this.registry] });
  readonly clientCloses = new Counter({
    name: 'fsc_client_closes_total',
    help: 'Connections closed by the server, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'fsc_connection_refusals_total',
    help: 'Connections, WebSocket upgrades and SSE streams refused before opening, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectionsHandedOff = new Counter({
    name: 'fsc_connections_handed_off_total',
    help: 'Connections a worker accepted near its socket budget and passed to another worker of the instance (WORKERS > 1).',
    registers: [this.registry],
  });
  readonly idleConnectionsClosed = new Counter({
    name: 'fsc_idle_connections_closed_total',
    help: 'Idle keep-alive connections closed to make room for a new one (socket budget, or the per-address share of it).',
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'fsc_store_errors_total',
    help: 'Failed store operations, by operation (commit, read, bounds, prune, …).',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  readonly storeSkippedStates = new Gauge({
    name: 'fsc_store_skipped_states',
    help: 'Stored match states left out of the last match book load because they are malformed (the writer sees those matches afresh at its next poll).',
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly storeInvalidEntries = new Counter({
    name: 'fsc_store_invalid_entries_total',
    help: 'Entries of the shared event stream (Redis) that are not valid events, left out: source "bus" (dropped before reaching any client, once per subscription), "read" (left out of a REST or resume read).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly promotionFailures = new Counter({
    name: 'fsc_promotion_failures_total',
    help: 'Times this process took the leader lease but could not become the writer (it gave the lease back).',
    registers: [this.registry],
  });
  readonly staleObservations = new Counter({
    name: 'fsc_stale_observations_total',
    help: 'Match observations ignored because a newer one was already applied, by source (poll, push).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'fsc_leader',
    help: 'This process is the writer (1) or a follower (0); summed over an instance: its writers.',
    registers: [this.registry],
  });
  readonly leaseRenewals = new Counter({
    name: 'fsc_leader_lease_renewals_total',
    help: 'Leader lease renewals confirmed by Redis.',
    registers: [this.registry],
  });
  readonly takeovers = new Counter({
    name: 'fsc_leader_takeovers_total',
    help: 'Times this process became the writer.',
    registers: [this.registry],
  });
  readonly deliveryLag = new Histogram({
    name: 'fsc_delivery_lag_seconds',
    help: 'Time from an event being stamped for commit to its fan-out on this process.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly clientErrors = new Counter({
    name: 'fsc_client_errors_total',
    help: 'ERROR frames sent to clients, by code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly pushFrames = new Counter({
    name: 'fsc_push_frames_total',
    help: 'Frames received on the provider push feed, by outcome (ok, duplicate, empty, garbage, failed: handling it threw and it was dropped).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly pushMatchesPerFrame = new Histogram({
    name: 'fsc_push_matches_per_frame',
    help: 'Match objects carried by one push frame.',
    buckets: [0, 1, 2, 3, 5, 10, 20, 50, 100, 500],
    registers: [this.registry],
  });
  readonly pushRejectedMatches = new Counter({
    name: 'fsc_push_rejected_matches_total',
    help: 'Pushed match objects dropped, by reason (invalid: refused by the parser; incomplete: nulls with nothing to fill them in; oversized: nested too deep or too large).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pushParseWarnings = new Counter({
    name: 'fsc_push_parse_warnings_total',
    help: 'Unusable items (goal, card, substitution) skipped inside pushed match objects.',
    registers: [this.registry],
  });
  readonly pushReconnects = new Counter({
    name: 'fsc_push_reconnects_total',
    help: 'Reconnection attempts to the provider push feed.',
    registers: [this.registry],
  });
  readonly pushFrameToBroadcast = new Histogram({
    name: 'fsc_push_frame_to_broadcast_seconds',
    help: 'Delay between a push frame arriving and the broadcast of its events.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  /**
   * p99 event-loop delay since the previous scrape. Aggregated over `WORKERS` as the worst worker
   * (prom-client's own nodejs_eventloop_lag_p99_seconds averages them, hiding a starved worker).
   */
  readonly eventLoopDelayP99 = new Gauge({
    name: 'fsc_event_loop_delay_p99_seconds',
    help: 'p99 event-loop delay since the previous scrape (the worst worker, aggregated).',
    aggregator: 'max',
    registers: [this.registry],
    collect: () => this.collectEventLoopDelay(),
  });
  /**
   * The same p99, one series per process: `worker` is the `node:cluster` worker id (`0` for a single
   * process), so a starved worker shows by itself. Set by the collection of the gauge above (one
   * window, read once per scrape).
   */
  readonly workerEventLoopDelayP99 = new Gauge({
    name: 'fsc_worker_event_loop_delay_p99_seconds',
    help: 'p99 event-loop delay since the previous scrape, per process (worker="0": a single process).',
    labelNames: ['worker'],
    aggregator: 'max',
    registers: [this.registry],
  });
  /** The longest event-loop delay since the previous scrape (the worst worker): one stall that p99 hides. */
  readonly eventLoopDelayMax = new Gauge({
    name: 'fsc_event_loop_delay_max_seconds',
    help: 'Longest event-loop delay since the previous scrape (the worst worker, aggregated).',
    aggregator: 'max',
    registers: [this.registry],
  });
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  private collectEventLoopDelay(): void {
    // Before the first sample the histogram reports NaN: say 0 rather than break the exposition.
    const p99 = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e9 : 0;
    this.eventLoopDelayP99.set(p99);
    this.workerEventLoopDelayP99.set({ worker: String(cluster.worker?.id ?? 0) }, p99);
    this.eventLoopDelayMax.set(this.loopDelay.count > 0 ? this.loopDelay.max / 1e9 : 0);
    this.loopDelay.reset();
  }

  constructor() {
    // Every known label value starts at 0: a series that exists before its first increment lets
    // dashboards and alerts (deploy/) compute rates and ratios from the start instead of seeing nothing.
    for (const outcome of ['ok', 'failed']) this.polls.inc({ outcome }, 0);
    for (const kind of UPSTREAM_FAILURE_KINDS) this.upstreamFailures.inc({ kind }, 0);
    for (const reason of CLOSE_REASONS) this.clientCloses.inc({ reason }, 0);
    for (const reason of REFUSAL_REASONS) this.refusals.inc({ reason }, 0);
    for (const operation of STORE_OPERATIONS) this.storeErrors.inc({ operation }, 0);
    for (const type of EVENT_TYPES) this.events.inc({ type }, 0);
    for (const outcome of ['found', 'unknown', 'failed']) this.vanishedLookups.inc({ outcome }, 0);
    this.loopDelay.enable();
    // Process metrics and event-loop lag (nodejs_eventloop_lag_seconds and friends).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }
}
