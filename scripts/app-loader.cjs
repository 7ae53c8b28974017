/**
 * How `cdktf synth` loads main.ts (cdktf.json "app": `node --require ./scripts/app-loader.cjs main.ts`): tsx's
 * CommonJS hooks, with its transform cache, for our TypeScript, and Node's own loader for everything else. Against
 * `node --import tsx main.ts` this leaves out, per synth:
 * - tsx's ES module hooks, which start a loader thread: this project and its dependencies are CommonJS;
 * - tsx's hook for .js files, which reads each of cdktf's and the providers' ~500 modules a second time and scans
 *   it for `import`/`export` to see whether it needs compiling: every dependency is CommonJS that plain Node runs
 *   (the benchmark runs the same app compiled by tsc under plain node);
 * - source maps, which tsx turns on: Node then decodes the inline source map of every module it loads. A crash's
 *   stack trace names the lines of the compiled code instead; validation errors carry no trace at all.
 * `npm run bench` measures this path against `node --import tsx main.ts` and against the compiled JavaScript.
 */
const Module = require('node:module');

const nodeJsLoader = Module._extensions['.js'];
require('tsx/cjs/api').register();
Module._extensions['.js'] = nodeJsLoader;
process.setSourceMapsEnabled(false);
