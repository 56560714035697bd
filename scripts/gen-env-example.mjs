// Writes .env.example from the configuration table (docs/configuration.md), so the two cannot drift apart:
//   node scripts/gen-env-example.mjs           rewrite .env.example
//   node scripts/gen-env-example.mjs --check   exit 1 (saying so) when .env.example is not what it would write
// The table itself is checked against the variables src/config.ts reads, and every value shown here
// against loadConfig's defaults, by test/deploy/files-agree.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = `${ROOT}docs/configuration.md`;
const TARGET = `${ROOT}.env.example`;

/** The rows of the README table under "## Configuration": names, their defaults, and the meaning. */
export function configurationRows(readme) {
  const section = readme.split('\n## Configuration\n')[1]?.split('\n## ')[0] ?? '';
  const rows = [];
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== 3 || !cells[0]?.startsWith('`')) continue;
    const names = [...cells[0].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]);
    const values = [...(cells[1] ?? '').matchAll(/`([^`]*)`/g)].map((m) => m[1]);
    names.forEach((name, index) => {
      rows.push({ name, value: cells[1] === 'none' ? '' : (values[index] ?? ''), meaning: cells[2] ?? '' });
    });
  }
  return rows;
}

const plain = (markdown) => markdown.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').replaceAll('`', '');

export function envExample(readme) {
  const lines = [
    '# Copy to .env and edit; real environment variables win over this file. Generated from the',
    '# docs/configuration.md table by scripts/gen-env-example.mjs: every variable, commented out at its',
    '# default (empty: unset). Without ALLSPORTS_API_KEY the service plays the built-in simulated matchday.',
  ];
  for (const row of configurationRows(readme)) lines.push('', `# ${plain(row.meaning)}`, `# ${row.name}=${row.value}`);
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wanted = envExample(readFileSync(README, 'utf8'));
  if (process.argv.includes('--check')) {
    if (readFileSync(TARGET, 'utf8') !== wanted) {
      console.error('.env.example does not match the configuration table (docs/configuration.md): run "node scripts/gen-env-example.mjs"');
      process.exit(1);
    }
  } else {
    writeFileSync(TARGET, wanted);
  }
}
