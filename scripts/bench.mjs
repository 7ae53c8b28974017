#!/usr/bin/env node
// Synthesizes every stack cold, several times, through the app's own path (tsx, no type-checking) and through
// the path `cdktf init` generates (ts-node, type-checking), in the same run. Prints median wall time, peak RSS
// and the ratio. Usage: npm run bench [-- --runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs takes a whole number of 1 or more');
  process.exit(1);
}

const paths = [
  { name: 'tsx (this app)', args: ['--import', 'tsx', 'main.ts'], env: { TSX_DISABLE_CACHE: '1' } },
  { name: 'ts-node (type-checks)', args: [join(root, 'node_modules/ts-node/dist/bin.js'), 'main.ts'], env: {} },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function measure(path) {
  const times = [];
  let peakKiB = 0;
  for (let i = 0; i < runs; i += 1) {
    const work = mkdtempSync(join(tmpdir(), 'bench-'));
    const rssFile = join(work, 'rss');
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['--require', join(root, 'scripts/report-rss.cjs'), ...path.args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...path.env, CDKTF_OUTDIR: join(work, 'out'), BENCH_RSS_FILE: rssFile },
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (run.status !== 0) {
      console.error(`${path.name} failed:\n${run.stderr}`);
      process.exit(1);
    }
    const stacks = readdirSync(join(work, 'out', 'stacks'));
    const rss = Math.max(...readFileSync(rssFile, 'utf8').trim().split('\n').map(Number));
    rmSync(work, { recursive: true, force: true });
    times.push(seconds);
    peakKiB = Math.max(peakKiB, rss);
    path.stacks = stacks.length;
  }
  return { ...path, median: median(times), peakMiB: peakKiB / 1024, times };
}

const results = paths.map(measure);
for (const r of results) {
  console.log(
    `${r.name.padEnd(22)} ${r.stacks} stacks  median ${r.median.toFixed(2)} s  peak RSS ${r.peakMiB.toFixed(0)} MiB  (runs: ${r.times.map((t) => t.toFixed(2)).join(', ')})`,
  );
}
const [app, typed] = results;
console.log(`ratio: the app synthesizes ${(typed.median / app.median).toFixed(1)}x faster than ts-node with type-checking, in ${(typed.peakMiB / app.peakMiB).toFixed(1)}x less memory`);
