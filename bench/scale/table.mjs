// A bench:scale result (bench/results/scale-*.json) as a compact Markdown table for the docs:
//   node bench/scale/table.mjs bench/results/scale-<time>.json
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/scale/table.mjs <bench/results/scale-*.json>');
  process.exit(2);
}
const { rows, load, options } = JSON.parse(readFileSync(file, 'utf8'));
const columns = [
  ['system', 'system'],
  ['clients', 'clients'],
  ['held', 'held'],
  ['conn/s', 'conn/s'],
  ['CPU µs/conn', 'CPU µs/conn'],
  ['p50 ms', 'p50 ms (paced)'],
  ['p99 ms', 'p99 ms (paced)'],
  ['p99 / floor', 'p99 ÷ floor'],
  ['p99 / Socket.IO', 'p99 ÷ Socket.IO'],
  ['p99 ms back-to-back', 'p99 ms back-to-back'],
  ['p99 ms k=8', 'p99 ms k=8'],
  ['CPU µs/event/client k=1', 'CPU µs/event/client k=1'],
  ['CPU µs/event/client k=8', 'k=8'],
  ['ELD p99 ms (worst worker)', 'ELD p99 ms'],
  ['ELD max ms', 'ELD max ms'],
  ['idle CPU µs/s/conn', 'idle CPU µs/s/conn (heartbeats)'],
  ['RSS KiB/conn', 'RSS KiB/conn'],
  ['sockets per process', 'sockets per process'],
  ['storm restart ms', 'storm: restart ms'],
  ['storm kill→all resubscribed ms', 'kill → all resubscribed ms'],
  ['storm conn/s', 'resubscribed/s'],
  ['storm CPU µs/conn', 'CPU µs/conn'],
  ['storm lost', 'lost'],
  ['storm dups', 'dups'],
];
const cell = (value) => (value === undefined || value === null || Number.isNaN(value) ? '–' : typeof value === 'number' ? value.toLocaleString('en-US') : String(value));
const used = columns.filter(([key]) => rows.some((row) => row[key] !== undefined));
console.log(`Load average ${load ?? '?'} (1, 5, 15 min, at the end of the run); heartbeats every ${options?.heartbeatSecs ?? '?'} s; ${options?.workers ?? '?'} processes per server.\n`);
console.log(`| ${used.map(([, title]) => title).join(' | ')} |\n|${used.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${used.map(([key]) => cell(row[key])).join(' | ')} |`);
