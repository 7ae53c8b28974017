/**
 * `npm test` type-checks while jest runs rather than before it (JEST_TYPECHECK=1, set by the npm script): tsc is
 * single-threaded, so run first it left one of two cores idle for its ~4 s. It runs `tsc --noEmit`, what
 * `npm run typecheck` runs, from jest's global setup; the global teardown waits for it, and a type error fails the
 * run after the test results, with tsc's output. A plain `npx jest` does not type-check, as before.
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

function start() {
  if (process.env.JEST_TYPECHECK !== '1') return;
  globalThis.typecheck = new Promise((resolve) => {
    const tsc = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    tsc.stdout.on('data', (d) => (output += d));
    tsc.stderr.on('data', (d) => (output += d));
    tsc.on('error', (e) => resolve({ code: 1, output: e.message }));
    tsc.on('close', (code) => resolve({ code, output }));
  });
}

async function finish() {
  if (globalThis.typecheck === undefined) return;
  const { code, output } = await globalThis.typecheck;
  if (code !== 0) throw new Error(`tsc --noEmit found type errors (npm test type-checks while jest runs):\n${output}`);
}

module.exports = { start, finish };
