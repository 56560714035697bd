/**
 * Every TypeScript example of the README (and of the SDK's own README) compiles under `strict`
 * against the built package and `@types/ws` 8, each as its own module, with no cast added
 * (issue 18 §1). A new ```ts block is picked up without touching this test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = ['README.md', 'docs/sdk.md', 'docs/protocol.md', 'packages/client/README.md'];

function examples(): Array<{ name: string; code: string }> {
  return SOURCES.flatMap((source) => {
    const text = readFileSync(join(ROOT, source), 'utf8');
    return [...text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((match, index) => ({
      name: `${source.replace(/[^a-z0-9]+/gi, '_')}_${index + 1}`,
      code: match[1] ?? '',
    }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'fsc-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README TypeScript examples', () => {
  const blocks = examples();

  it('are there (the SDK section has some)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) expect(block.code, block.name).not.toMatch(/\bas\s+(unknown|any)\b|<any>/);
  });

  it('compile under strict against the built package, each as a module', async () => {
    const files = blocks.map((block) => {
      const file = `${block.name}.ts`;
      // `export {}` makes each block a module of its own (top-level await, no shared names).
      writeFileSync(join(dir, file), `${block.code}\nexport {};\n`);
      return file;
    });
    const dist = join(ROOT, 'packages/client/dist');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          paths: {
            '@football-streaming-core/client': [join(dist, 'index.d.ts')],
            '@football-streaming-core/client/wire': [join(dist, 'wire.d.ts')],
            '@football-streaming-core/client/protocol': [join(dist, 'protocol.d.ts')],
            ws: [join(ROOT, 'node_modules/@types/ws/index.d.ts')],
          },
        },
        files,
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('close', (code) => resolve({ code, text }));
    });
    expect(output.text).toBe('');
    expect(output.code).toBe(0);
  }, 180_000);
});
