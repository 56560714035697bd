/**
 * deploy/grafana/dashboard.json and deploy/prometheus/alerts.yml against a real Prometheus (Debian's
 * `prometheus`, installed by `pretest` / .ci/run), scraping two running services every second: one
 * on the built-in simulated matchday with a subscribed client (events, fan-out, delivery lag), one
 * whose stand-in provider refuses the key. Every dashboard query and every metric selector of every
 * alert must return data (a renamed or missing metric fails here), `promtool check rules` must
 * pass, and FscUpstreamDown and FscUpstreamKeyRefused must fire for the refused deployment only.
 * The rules run as written except their `for:` durations, shortened so the test runs in seconds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';
import { startService, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { subscribe, TestClient } from '../helpers/ws-client.js';

const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'dashboard.json');
const ALERTS = join(ROOT, 'deploy', 'prometheus', 'alerts.yml');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}
interface Dashboard {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
}

/** Grafana's variables, as Grafana would fill them in for a 1 s scrape interval and every job. */
function grafanaExpr(expr: string): string {
  return expr.replaceAll('$__rate_interval', '15s').replaceAll('$__interval', '1s').replaceAll('$__range', '5m').replaceAll('$job', '.+');
}

/** Every selector of one of our metrics in an expression (`fsc_…{…}`, `process_…`, `nodejs_…`). */
function selectors(expr: string): string[] {
  return [...expr.matchAll(/\b((?:fsc|process|nodejs)_[A-Za-z0-9_]+)(\{[^}]*\})?/g)].map((m) => `${m[1]}${m[2] ?? ''}`);
}

const dashboardQueries = (): Array<{ panel: string; expr: string }> =>
  (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard).panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: grafanaExpr(target.expr) })),
  );

const alertRules = (): Rule[] =>
  (parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((group) => group.rules);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Retries `probe` until it returns a value; fails with the last reason after `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | string>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await probe().catch((error: unknown) => `error: ${String(error)}`);
    if (typeof outcome !== 'string') return outcome;
    if (Date.now() > deadline) throw new Error(outcome);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

it('promtool check rules accepts deploy/prometheus/alerts.yml', () => {
  const result = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8' });
  expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  expect(result.stdout).toContain(`SUCCESS: ${alertRules().length} rules found`);
});

it('the dashboard covers what an operator watches', () => {
  const exprs = dashboardQueries().map((q) => q.expr).join('\n');
  for (const metric of [
    'fsc_connections',
    'fsc_events_total',
    'fsc_delivery_lag_seconds_bucket',
    'fsc_event_loop_delay_p99_seconds',
    'fsc_polls_total',
    'fsc_upstream_breaker_state',
    'fsc_upstream_failures_total',
    'fsc_upstream_request_duration_seconds_count',
    'fsc_store_errors_total',
    'fsc_leader',
    'fsc_leader_takeovers_total',
    'fsc_client_closes_total{job=~".+",reason="slow_consumer"}',
  ]) {
    expect(exprs, metric).toContain(metric);
  }
  expect(alertRules().map((rule) => rule.alert)).toEqual(
    expect.arrayContaining(['FscUpstreamDown', 'FscPollsFailing', 'FscStoreFailing', 'FscNoLeader', 'FscEventLoopDelayHigh', 'FscDeliveryLagHigh', 'FscSlowConsumerClosesSpiking']),
  );
});

describe('against a real Prometheus scraping running services', () => {
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let standIn: StandIn | undefined;
  const services: TestService[] = [];
  let client: TestClient | undefined;
  let promLog = '';

  async function query(expr: string): Promise<unknown[]> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fsc-prometheus-'));
    // The simulated matchday at high speed: matches start and goals fall within seconds.
    const simulated = await startService({ SIM_SPEED: '240' });
    services.push(simulated);
    client = await TestClient.open(simulated.wsUrl);
    await subscribe(client, { action: 'subscribe_all' });
    standIn = await startStandIn();
    standIn.livescore({ body: JSON.parse(readFileSync(join(ROOT, 'test/fixtures/allsportsapi/error_wrong_credentials.json'), 'utf8')) as unknown });
    const refused = await startService(standInEnv(standIn, { POLL_INTERVAL_SECS: '0.2', UPSTREAM_BREAKER_THRESHOLD: '2', UPSTREAM_BREAKER_COOLDOWN_SECS: '1' }));
    services.push(refused);

    // The rules as shipped, waiting 2 s instead of minutes before firing.
    const rules = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
    for (const group of rules.groups) for (const rule of group.rules) if (rule.for !== undefined) rule.for = '2s';
    writeFileSync(join(dir, 'alerts.yml'), stringifyYaml(rules));
    const target = (url: string) => new URL(url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringifyYaml({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'alerts.yml')],
        scrape_configs: [
          { job_name: 'fsc-simulated', static_configs: [{ targets: [target(simulated.url)] }] },
          { job_name: 'fsc-refused', static_configs: [{ targets: [target(refused.url)] }] },
        ],
      }),
    );
    const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);

    // A free port can be taken between the probe and the start: try a few.
    for (let attempt = 0; prometheus === undefined; attempt += 1) {
      const port = await freePort();
      const child = spawn(
        'prometheus',
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.on('data', (chunk: Buffer) => (promLog += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (promLog += chunk.toString()));
      const url = `http://127.0.0.1:${port}`;
      const exited = new Promise<string>((resolve) => child.once('exit', (code) => resolve(`prometheus exited (${code}): ${promLog.slice(-2000)}`)));
      const ready = await Promise.race([
        exited,
        eventually(async () => ((await fetch(`${url}/-/ready`)).ok ? true : 'not ready'), 30_000),
      ]);
      if (ready === true) {
        prometheus = child;
        promUrl = url;
      } else if (attempt >= 3) {
        throw new Error(String(ready));
      }
    }
  }, 90_000);

  afterAll(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    client?.ws.terminate();
    for (const service of services.splice(0)) await service.stop();
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('scrapes both services', async () => {
    await eventually(async () => {
      const up = (await query('up == 1')) as Array<{ metric: { job: string } }>;
      const jobs = up.map((series) => series.metric.job).sort();
      return jobs.join() === 'fsc-refused,fsc-simulated' ? jobs : `targets up: ${jobs.join() || 'none'}`;
    }, 30_000);
  }, 40_000);

  it('every dashboard query returns data', async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    await eventually(async () => {
      const empty: string[] = [];
      for (const { panel, expr } of queries) if ((await query(expr)).length === 0) empty.push(`${panel}: ${expr}`);
      return empty.length === 0 ? true : `dashboard queries without data:\n${empty.join('\n')}`;
    }, 60_000);
  }, 70_000);

  it('every metric an alert or a panel selects exists in what the services export', async () => {
    const all = [...new Set([...alertRules().flatMap((rule) => selectors(rule.expr)), ...dashboardQueries().flatMap((q) => selectors(q.expr))])];
    expect(all.length).toBeGreaterThan(10);
    await eventually(async () => {
      const missing: string[] = [];
      for (const selector of all) if ((await query(selector)).length === 0) missing.push(selector);
      return missing.length === 0 ? true : `selectors without data:\n${missing.join('\n')}`;
    }, 60_000);
    // Every full alert expression is valid PromQL against this data.
    for (const rule of alertRules()) await expect(query(rule.expr), rule.alert).resolves.toBeInstanceOf(Array);
  }, 70_000);

  it('FscUpstreamDown and FscUpstreamKeyRefused fire for the deployment whose key is refused, and only for it', async () => {
    const firing = await eventually(async () => {
      const response = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
      const active = response.data.alerts.filter((alert) => alert.state === 'firing').map((alert) => `${alert.labels['alertname']}/${alert.labels['job']}`);
      return active.includes('FscUpstreamDown/fsc-refused') && active.includes('FscUpstreamKeyRefused/fsc-refused') ? active : `firing: ${active.join(', ') || 'none'}`;
    }, 60_000);
    expect(firing.filter((alert) => alert.endsWith('/fsc-simulated'))).toEqual([]);
  }, 70_000);
});
