/**
 * deploy/kubernetes/ validated offline: every document against the Kubernetes API schemas
 * (kubernetes-models, compiled validators; nothing is downloaded), the kustomization lists every
 * file, and the parts fit together as the README promises — probes on /livez and /readyz, a preStop
 * that makes readiness fail first, a termination grace that covers the ready grace and the drain,
 * resource requests that hold MAX_CONNECTIONS at the measured memory per connection, selectors that
 * match, and the ConfigMap/Secret split with the key in the Secret.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

const DIR = join(ROOT, 'deploy', 'kubernetes');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const MODELS: Record<string, (doc: Doc) => { validate(): void }> = {
  'v1/ConfigMap': (doc) => new ConfigMap(doc as never),
  'v1/Secret': (doc) => new Secret(doc as never),
  'v1/Service': (doc) => new Service(doc as never),
  'apps/v1/Deployment': (doc) => new Deployment(doc as never),
  'apps/v1/StatefulSet': (doc) => new StatefulSet(doc as never),
  'policy/v1/PodDisruptionBudget': (doc) => new PodDisruptionBudget(doc as never),
};

const manifestFiles = () => readdirSync(DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');

function documents(): Array<{ file: string; doc: Doc }> {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((document) => {
      expect(document.errors, file).toEqual([]);
      return { file, doc: document.toJS() as Doc };
    }),
  );
}

const find = (kind: string, name?: string): Doc => {
  const found = documents().find(({ doc }) => doc.kind === kind && (name === undefined || doc.metadata.name === name))?.doc;
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ''} in deploy/kubernetes`);
  return found;
};

/** Kubernetes quantities as bytes (Mi, Gi, Ki). */
function bytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`unexpected quantity ${quantity}`);
  return Number(match[1]) * ({ Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] ?? ''] ?? 1);
}

interface Container {
  ports: Array<{ name: string; containerPort: number }>;
  env?: Array<{ name: string; value: string }>;
  envFrom: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string } };
  lifecycle: { preStop: { exec: { command: string[] } } };
  resources: { requests: { memory: string; cpu: string }; limits?: { memory: string } };
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: Container[];
}

describe('deploy/kubernetes', () => {
  it('every document validates against the Kubernetes API schema of its kind', () => {
    const all = documents();
    expect(all.map(({ doc }) => doc.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'StatefulSet']);
    for (const { file, doc } of all) {
      const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(model, `${file}: ${doc.apiVersion} ${doc.kind} has no validator here`).toBeDefined();
      expect(() => model?.(doc).validate(), `${file}: ${doc.kind} ${doc.metadata.name}`).not.toThrow();
    }
  });

  it('a broken manifest is refused (the validation can fail)', () => {
    const deployment = structuredClone(find('Deployment')) as Doc & { spec: { template: { spec: PodSpec } } };
    (deployment.spec.template.spec.containers[0] as unknown as { ports: Array<{ containerPort: unknown }> }).ports[0]!.containerPort = 'http';
    expect(() => new Deployment(deployment as never).validate()).toThrow(/containerPort/);
  });

  it('the kustomization lists every manifest', () => {
    const kustomization = parseYaml(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(manifestFiles().sort());
  });

  it('the Deployment: probes, a preStop that fails readiness first, a grace covering the drain, requests that hold MAX_CONNECTIONS', () => {
    const config = (find('ConfigMap') as Doc & { data: Record<string, string> }).data;
    const secret = find('Secret') as Doc & { stringData: Record<string, string> };
    const deployment = find('Deployment') as Doc & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    if (container === undefined) throw new Error('no container');

    // Liveness never fails for a dependency; readiness does (starting, draining, store failing).
    expect(container.livenessProbe.httpGet.path).toBe('/livez');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.startupProbe?.httpGet.path).toBe('/livez');
    const http = container.ports.find((port) => port.name === container.readinessProbe.httpGet.port);
    expect(container.env?.find((e) => e.name === 'BIND_ADDRESS')?.value).toBe(`0.0.0.0:${http?.containerPort}`);

    // preStop: the SIGTERM that starts the ready grace, then wait for the process to end.
    expect(container.lifecycle.preStop.exec.command.join(' ')).toMatch(/kill -TERM 1/);
    const grace = Number(config['SHUTDOWN_READY_GRACE_SECS']);
    const drain = Number(config['SHUTDOWN_TIMEOUT_SECS']);
    expect(grace).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(grace + drain + 5);

    // Memory: idle process + per connection (RSS and kernel socket memory, measured in bench:scale)
    // for MAX_CONNECTIONS, + the unsent-bytes budget; the limit above the request.
    const perConnection = 27 * 1024;
    const needed = 130 * 1024 ** 2 + Number(config['MAX_CONNECTIONS']) * perConnection + Number(config['SLOW_CONSUMER_TOTAL_MAX_BYTES']);
    expect(bytes(container.resources.requests.memory)).toBeGreaterThanOrEqual(needed);
    expect(bytes(container.resources.limits?.memory ?? '0')).toBeGreaterThan(bytes(container.resources.requests.memory));

    // Settings from the ConfigMap, the key (and REDIS_URL, which may hold a password) from the Secret.
    expect(container.envFrom).toEqual([{ configMapRef: { name: find('ConfigMap').metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
    expect(Object.keys(secret.stringData)).toEqual(expect.arrayContaining(['ALLSPORTS_API_KEY', 'REDIS_URL']));
    expect(Object.keys(config)).not.toContain('ALLSPORTS_API_KEY');
    // Several replicas share one history only through Redis.
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    expect(secret.stringData['REDIS_URL']).toMatch(/^redis:\/\/redis:6379\//);
  });

  it('the Service, the PodDisruptionBudget and the Redis Service select what exists', () => {
    const podLabels = (find('Deployment') as Doc & { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
    const service = find('Service', 'football-streaming-core') as Doc & { spec: { selector: Record<string, string> } };
    const pdb = find('PodDisruptionBudget') as Doc & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable: number } };
    expect(podLabels).toMatchObject(service.spec.selector);
    expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const redisLabels = (find('StatefulSet', 'redis') as Doc & { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
    expect(redisLabels).toMatchObject((find('Service', 'redis') as Doc & { spec: { selector: Record<string, string> } }).spec.selector);
  });
});
