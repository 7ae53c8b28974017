/**
 * jest `runtime`: jest's own runtime (jest-runtime), with each module read and compiled once per worker instead of
 * once per test file.
 *
 * jest gives every test file a fresh context and module registry, so each file read, transformed and compiled
 * cdktf, the provider bindings (the AKS one alone is 1.5 MB of JavaScript), jest's own expect and the project's
 * sources again: over 100 ms per file. Here:
 * - jest's transform of a file (for a node_modules file, its text; for our TypeScript, SWC's output from jest's disk
 *   cache) is kept for the worker, and read again only when the file's size or modification time changed;
 * - a module's code is compiled as a vm.Script, which V8 keeps independent of any context, and the same Script runs
 *   in each test file's context: the module still runs afresh there, with its own globals and exports, but nothing
 *   is parsed or compiled again, including the functions V8 compiled lazily on their first call in an earlier file.
 *   A module whose code changed is compiled again.
 *
 * jest 30 compiles modules in its internal ModuleExecutor (runtime.executor), so its compile is wrapped there. What
 * this does not cover (no context, Node's core modules, a syntax error) goes to jest's own compile, which reports a
 * syntax error its way.
 */
const fs = require('node:fs');
const vm = require('node:vm');
const { default: Runtime } = require('jest-runtime');

/** By file name: the module's code and parameters, its Script, and the executor and context that last ran it. */
const scripts = new Map();

function compileOnce(executor, source, filename) {
  const context = executor.environment.getVmContext();
  if (context == null || executor.resolution.isCoreModule(filename)) return undefined;
  const params = executor.injectedModuleParameters.join(', ');
  let entry = scripts.get(filename);
  // The source as jest gave it is compared, not the wrapped code: building that joins strings V8 would then copy to
  // compare.
  if (entry === undefined || entry.source !== source || entry.params !== params) {
    const fresh = { source, params, script: undefined, executor, context };
    try {
      // The module's code on the Script's second line, and lineOffset -1: stack traces keep the module's own lines.
      fresh.script = new vm.Script(`(function (${params}) {\n${source}\n})`, {
        filename,
        lineOffset: -1,
        // import() from the module, for the test file running now: test files run one after another in a worker.
        importModuleDynamically: (specifier, _script, attributes, phase) => fresh.executor.dynamicImport(specifier, filename, fresh.context, attributes, phase),
      });
    } catch {
      return undefined;
    }
    entry = fresh;
    scripts.set(filename, entry);
  }
  entry.executor = executor;
  entry.context = context;
  return entry.script.runInContext(context);
}

/** By file name and options: jest's transform of the file, with the file's size and time when it was read. */
const transforms = new Map();

/**
 * runtime.transformCache.transform, kept per worker: jest reads (and, for our TypeScript, hashes and looks up in its
 * disk cache) every module's file again in each test file. A file whose size or modification time changed is read
 * again. The transformed file and its source map go into this test file's own maps, as jest's transform puts them.
 */
function keepTransforms(cache) {
  const jestTransform = cache.transform.bind(cache);
  cache.transform = (filename, options) => {
    const key = `${filename}\0${options?.isInternalModule ? 'internal' : JSON.stringify(options ?? {})}`;
    let stat;
    try {
      stat = fs.statSync(filename);
    } catch {
      return jestTransform(filename, options);
    }
    const kept = transforms.get(key);
    if (kept !== undefined && kept.size === stat.size && kept.mtimeMs === stat.mtimeMs) {
      if (kept.file !== undefined) {
        cache.transforms.set(filename, kept.file);
        if (kept.file.sourceMapPath) cache.sourceMaps.set(filename, kept.file.sourceMapPath);
      }
      return kept.code;
    }
    const code = jestTransform(filename, options);
    transforms.set(key, { size: stat.size, mtimeMs: stat.mtimeMs, code, file: options?.isInternalModule ? undefined : cache.transforms.get(filename) });
    return code;
  };
}

class CompiledModulesRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    keepTransforms(this.transformCache);
    const executor = this.executor;
    const jestCompile = executor.compile;
    if (typeof jestCompile !== 'function') throw new Error('test/compiled-modules.cjs: jest-runtime no longer compiles in runtime.executor; update it');
    executor.compile = (source, filename) => compileOnce(executor, source, filename) ?? jestCompile.call(executor, source, filename);
  }
}

module.exports = { __esModule: true, default: CompiledModulesRuntime };
