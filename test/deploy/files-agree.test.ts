/**
 * The deployment files agree with the README, and both with src/config.ts, the one source of the
 * environment variables: the README's configuration table lists exactly the variables config.ts
 * reads, .env.example is generated from that table and shows loadConfig's defaults, the compose
 * file and the Kubernetes ConfigMap/Secret set only variables that exist, the README's nginx snippet
 * is deploy/nginx.conf, and every Redis we ship keeps the durability rule the README states.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Env } from '../../src/config.js';
import { ROOT } from '../helpers/process.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** The README and every page of docs/: the documentation as one text. */
const README = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].map(read).join('\n');
/** The configuration table's page. */
const CONFIGURATION = read('docs/configuration.md');

/** Variables read by `npm run sim` alone, or accepted as an alias: documented in the README's text, not as table rows. */
const OUTSIDE_TABLE = ['SIM_HOST', 'SIM_PORT', 'SIM_START_AT_SECS', 'RUST_LOG'];

/** Every variable name src/config.ts reads (`read(env, 'X')`, `integer(env, 'X', …)`, `env['X']`, …). */
function configVariables(): string[] {
  const source = read('src/config.ts');
  const names = [...source.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'|\benv\['([A-Z][A-Z0-9_]*)'\]/g)].map((m) => m[1] ?? m[2] ?? '');
  return [...new Set(names)].sort();
}

/** The README configuration table's names (one row may name two variables: `A` / `B`). */
function tableVariables(): string[] {
  const section = CONFIGURATION.split('\n## Configuration\n')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] ?? ''))
    .sort();
}

/** `# NAME=value` lines of .env.example. */
function exampleValues(): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of read('.env.example').split('\n')) {
    const match = /^# ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) {
      expect(values.has(match[1]), `${match[1]} twice in .env.example`).toBe(false);
      values.set(match[1], match[2] ?? '');
    }
  }
  return values;
}

describe('environment variables: src/config.ts is the source', () => {
  it('the README table lists exactly the variables config.ts reads (the sim CLI\'s and the RUST_LOG alias in its text)', () => {
    const fromConfig = configVariables();
    expect(fromConfig.length).toBeGreaterThan(40);
    expect(tableVariables()).toEqual(fromConfig.filter((name) => !OUTSIDE_TABLE.includes(name)));
    for (const name of OUTSIDE_TABLE) expect(README, name).toContain(`\`${name}\``);
  });

  it('.env.example is generated from the README table (node scripts/gen-env-example.mjs)', () => {
    const check = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-env-example.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect([...exampleValues().keys()].sort()).toEqual(tableVariables());
  });

  it('every value .env.example (and so the README) shows is loadConfig\'s default', () => {
    // With a key, as a production .env has one; the listen address is compared, not where it came from.
    const base: Env = { ALLSPORTS_API_KEY: 'k' };
    const withoutSource = (env: Env) => {
      const { bindSource: _source, ...config } = loadConfig(env);
      return config;
    };
    const defaults = withoutSource(base);
    for (const [name, value] of exampleValues()) {
      if (name === 'ALLSPORTS_API_KEY') continue;
      expect(withoutSource({ ...base, [name]: value }), `${name}=${value}`).toEqual(defaults);
    }
  });

  it('docker-compose.yml and the Kubernetes ConfigMap and Secret set only variables that exist', () => {
    const known = new Set(configVariables());
    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { environment?: Record<string, unknown> }> };
    const fsc = ['football-streaming-core', 'node'];
    for (const service of fsc) {
      for (const name of Object.keys(compose.services[service]?.environment ?? {})) expect(known.has(name), `compose ${service}: ${name}`).toBe(true);
    }
    for (const file of ['configmap.yaml', 'secret.yaml']) {
      const [doc] = parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((d) => d.toJS() as { data?: object; stringData?: object });
      for (const name of Object.keys({ ...doc?.data, ...doc?.stringData })) expect(known.has(name), `${file}: ${name}`).toBe(true);
    }
  });
});

describe('deployment files', () => {
  it('the README\'s nginx configuration is deploy/nginx.conf', () => {
    const snippet = /```nginx\n([\s\S]*?)```/.exec(README)?.[1];
    expect(snippet).toBeDefined();
    expect(snippet).toBe(read('deploy/nginx.conf'));
    // The compose file mounts that file and names the upstream it proxies to.
    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { volumes?: string[] }> };
    expect(compose.services['lb']?.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    expect(Object.keys(compose.services)).toContain(/server (\w+):8080/.exec(read('deploy/nginx.conf'))?.[1]);
  });

  it('every Redis we ship follows the README\'s durability rule: appendfsync always (or no persistence) and noeviction', () => {
    expect(README).toContain('appendfsync always');
    expect(README).toContain('noeviction');
    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { command?: string[] }> };
    const kubernetes = parseAllDocuments(read('deploy/kubernetes/redis.yaml'))
      .map((d) => d.toJS() as { kind: string; spec?: { template?: { spec?: { containers?: Array<{ args?: string[] }> } } } })
      .find((d) => d.kind === 'StatefulSet');
    for (const [where, args] of [
      ['docker-compose.yml', compose.services['redis']?.command ?? []],
      ['deploy/kubernetes/redis.yaml', kubernetes?.spec?.template?.spec?.containers?.[0]?.args ?? []],
    ] as const) {
      const value = (flag: string) => args[args.indexOf(flag) + 1];
      const noPersistence = value('--appendonly') === 'no' && value('--save') === '';
      expect(noPersistence || (value('--appendonly') === 'yes' && value('--appendfsync') === 'always'), `${where}: ${args.join(' ')}`).toBe(true);
      expect(value('--maxmemory-policy'), where).toBe('noeviction');
      // An RDB snapshot restored after a crash would reuse seqs: none taken.
      expect(value('--save'), where).toBe('');
    }
  });
});
