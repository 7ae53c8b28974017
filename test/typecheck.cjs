/**
 * `npm test` type-checks while jest runs rather than before it (JEST_TYPECHECK=1, set by the npm script): tsc is
 * single-threaded, so run first it left one of two cores idle for its ~4 s. From jest's global setup it starts
 * test/typecheck-build.cjs, which runs what `npm run typecheck` (`tsc --noEmit`) checks and, first, the package build
 * (`npm run build`, dist/) that test/library.test.ts runs the compiled constructs from, in one process that parses
 * each file once. The build's result goes to the file named by JEST_LIBRARY_BUILD, which the library test waits for
 * instead of running tsc itself. The global teardown waits for the type check, and a type error fails the run after
 * the test results, with tsc's output. A plain `npx jest` does not type-check, and the library test builds itself.
 */
const { spawn } = require('node:child_process');
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

function start() {
  if (process.env.JEST_TYPECHECK !== '1') return;
  // Under the run's temporary directory (test/temp-dir.cjs runs first), removed with it.
  const buildResult = join(process.env.JEST_RUN_TMPDIR ?? require('node:os').tmpdir(), 'library-build.json');
  process.env.JEST_LIBRARY_BUILD = buildResult;
  globalThis.typecheck = new Promise((resolve) => {
    let output = '';
    const tsc = spawn(process.execPath, [join(__dirname, 'typecheck-build.cjs'), buildResult], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // Should the process die before the build's result is written, the library test is told so instead of waiting.
    const noResult = (why) => {
      if (!existsSync(buildResult)) writeFileSync(buildResult, JSON.stringify({ code: 1, output: `test/typecheck-build.cjs ended before the build's result: ${why}` }));
    };
    tsc.on('error', (e) => noResult(e.message));
    tsc.on('close', (code) => noResult(`exit code ${code}\n${output}`));
    tsc.stdout.on('data', (d) => (output += d));
    tsc.stderr.on('data', (d) => (output += d));
    tsc.on('error', (e) => resolve({ code: 1, output: e.message }));
    tsc.on('close', (code) => resolve({ code, output }));
  });
}

async function finish() {
  if (globalThis.typecheck === undefined) return;
  const { code, output } = await globalThis.typecheck;
  if (code !== 0) throw new Error(`the type check (tsc --noEmit) found type errors (npm test type-checks while jest runs):\n${output}`);
}

module.exports = { start, finish };
