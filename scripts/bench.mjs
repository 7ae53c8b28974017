#!/usr/bin/env node
// Synthesizes every stack, several times, through each way of running the app, in the same run and alternating
// between them (so a busy machine slows them alike), then times the full `npm test`, each run against the synths
// just before and after it.
//
//   app               cdktf.json's "app", what `cdktf synth` runs (tsx's CommonJS hooks, scripts/app-loader.cjs)
//   tsx               node --import tsx main.ts
//   compiled JS       the same app compiled by tsc into a temporary directory, run by plain node
//   ts-node           the path `cdktf init` generates (type-checks)
//
// tsx keeps a transform cache (in os.tmpdir()), as every user has it: after the first synth, only changed files
// are compiled again. "warm" runs use that cache, in a directory of this run filled by one untimed synth; "cold"
// runs disable it (TSX_DISABLE_CACHE=1), as on a first synth. Prints median wall time, peak RSS and the ratios.
//
// Usage: npm run bench [-- --runs N] [-- --test-runs N] [-- --no-tests]
//   --runs N        synth runs per path (default 5)
//   --test-runs N   full `npm test` runs (default 1; the median ratio is reported); --no-tests skips them
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} takes a whole number of 1 or more`);
    process.exit(1);
  }
  return value;
}
const runs = option('--runs', 5);
const testRuns = process.argv.includes('--no-tests') ? 0 : option('--test-runs', 1);

const work = mkdtempSync(join(tmpdir(), 'bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// The app exactly as cdktf.json runs it.
const appCommand = JSON.parse(readFileSync(join(root, 'cdktf.json'), 'utf8')).app;
const [appProgram, ...appArgs] = appCommand.split(/\s+/);
if (appProgram !== 'node') {
  console.error(`bench: cdktf.json's app must start with node, got: ${appCommand}`);
  process.exit(1);
}

// The same app compiled to JavaScript: main.ts and what it imports, with the project's compiler options.
const js = join(work, 'js');
writeFileSync(
  join(work, 'tsconfig.json'),
  JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: { noEmit: false, incremental: false, rootDir: root, outDir: js, typeRoots: [join(root, 'node_modules/@types')], types: ['node'] },
    files: [join(root, 'main.ts')],
    include: [],
  }),
);
const compile = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(work, 'tsconfig.json')], { encoding: 'utf8' });
if (compile.status !== 0) {
  console.error(`bench: tsc could not compile main.ts:\n${compile.stdout}${compile.stderr}`);
  process.exit(1);
}
// What the compiled code reaches relative to itself (the charts) or resolves (node_modules).
symlinkSync(join(root, 'node_modules'), join(js, 'node_modules'), 'dir');
symlinkSync(join(root, 'charts'), join(js, 'charts'), 'dir');

// A tsx cache of this run only, filled before the timed runs.
const warmTmp = join(work, 'tmp');
mkdirSync(warmTmp);
const warm = { TMPDIR: warmTmp };
const cold = { TSX_DISABLE_CACHE: '1' };

const paths = [
  { key: 'app', name: 'app (cdktf.json), tsx cache warm', args: appArgs, env: warm },
  { key: 'appCold', name: 'app (cdktf.json), tsx cache cold', args: appArgs, env: cold },
  { key: 'tsx', name: 'node --import tsx main.ts, warm', args: ['--import', 'tsx', 'main.ts'], env: warm },
  { key: 'tsxCold', name: 'node --import tsx main.ts, cold', args: ['--import', 'tsx', 'main.ts'], env: cold },
  { key: 'js', name: 'compiled JS (tsc, then node main.js)', args: [join(js, 'main.js')], env: {} },
  { key: 'tsNode', name: 'ts-node (type-checks)', args: [join(root, 'node_modules/ts-node/dist/bin.js'), 'main.ts'], env: {} },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function synth(path) {
  const dir = mkdtempSync(join(work, 'synth-'));
  const rssFile = join(dir, 'rss');
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--require', join(root, 'scripts/report-rss.cjs'), ...path.args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...path.env, CDKTF_OUTDIR: join(dir, 'out'), BENCH_RSS_FILE: rssFile },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) {
    console.error(`bench: ${path.name} failed:\n${run.stderr}`);
    process.exit(1);
  }
  const stacks = readdirSync(join(dir, 'out', 'stacks')).length;
  const rssKiB = Math.max(...readFileSync(rssFile, 'utf8').trim().split('\n').map(Number));
  rmSync(dir, { recursive: true, force: true });
  return { seconds, rssKiB, stacks };
}

for (const p of paths.filter((q) => q.env === warm)) synth(p); // fills the warm tsx cache
for (const p of paths) Object.assign(p, { times: [], peakKiB: 0 });
for (let i = 0; i < runs; i += 1) {
  for (const p of paths) {
    const r = synth(p);
    p.times.push(r.seconds);
    p.peakKiB = Math.max(p.peakKiB, r.rssKiB);
    p.stacks = r.stacks;
  }
}
const by = Object.fromEntries(paths.map((p) => [p.key, { ...p, median: median(p.times), peakMiB: p.peakKiB / 1024 }]));

console.log(`synth of every stack (${by.app.stacks} stacks), ${runs} run${runs === 1 ? '' : 's'} each, alternating:`);
for (const r of Object.values(by)) {
  console.log(`  ${r.name.padEnd(38)} median ${r.median.toFixed(2)} s  peak RSS ${r.peakMiB.toFixed(0).padStart(3)} MiB  (runs: ${r.times.map((t) => t.toFixed(2)).join(', ')})`);
}
const x = (a, b) => `${(a / b).toFixed(2)}x`;
console.log(`app / compiled JS = ${x(by.app.median, by.js.median)} with the tsx cache warm, as every synth after the first runs (target <= 1.5x); ${x(by.appCold.median, by.js.median)} cold`);
console.log(`node --import tsx main.ts / compiled JS = ${x(by.tsx.median, by.js.median)} warm, ${x(by.tsxCold.median, by.js.median)} cold`);
console.log(`ratio: the app synthesizes ${(by.tsNode.median / by.app.median).toFixed(1)}x faster than ts-node with type-checking, in ${(by.tsNode.peakMiB / by.app.peakMiB).toFixed(1)}x less memory`);

if (testRuns > 0) {
  // The default suite, as `npm test` runs it for a developer: without the deep CI variant. Each run sits between
  // synths of `node --import tsx main.ts` (issue 16's measure), with tsx's cache cold and warm, and is compared with
  // their means: the machine's speed drifts over minutes, and a ratio of neighbours is what stays put.
  const env = { ...process.env };
  delete env.DEEP_TESTS;
  const runsOf = [];
  for (let i = 0; i < testRuns; i += 1) {
    const before = { cold: synth(by.tsxCold).seconds, warm: synth(by.tsx).seconds };
    const start = process.hrtime.bigint();
    const run = spawnSync('npm', ['test'], { cwd: root, encoding: 'utf8', env });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (run.status !== 0) {
      console.error(`bench: npm test failed:\n${run.stdout.slice(-4000)}${run.stderr.slice(-4000)}`);
      process.exit(1);
    }
    const after = { cold: synth(by.tsxCold).seconds, warm: synth(by.tsx).seconds };
    runsOf.push({ seconds, cold: (before.cold + after.cold) / 2, warm: (before.warm + after.warm) / 2 });
  }
  const tests = median(runsOf.map((r) => r.seconds));
  const ratio = (key) => median(runsOf.map((r) => r.seconds / r[key]));
  const synths = (key) => runsOf.map((r) => `${r[key].toFixed(2)} s`).join(', ');
  console.log(`npm test (jest; the type check and the package build beside it): median ${tests.toFixed(1)} s  (runs: ${runsOf.map((r) => r.seconds.toFixed(1)).join(', ')})`);
  console.log(`npm test / synth (target <= 12x), node --import tsx main.ts just before and after each run: ${ratio('cold').toFixed(1)}x with tsx's cache cold (${synths('cold')}), ${ratio('warm').toFixed(1)}x warm (${synths('warm')})`);
  console.log(`  against the synths above: ${(tests / by.tsxCold.median).toFixed(1)}x node --import tsx cold, ${(tests / by.tsx.median).toFixed(1)}x warm, ${(tests / by.app.median).toFixed(1)}x the app warm`);
}
