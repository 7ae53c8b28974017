/**
 * jest `runtime`: jest's own runtime (jest-runtime), with V8's code cache kept for the modules it compiles.
 *
 * jest gives every test file a fresh module registry, so each file compiles cdktf, the provider bindings (the AKS
 * one alone is 1.5 MB of JavaScript), jest's own expect and the project's sources again: about 3 CPU-seconds per
 * run, 100 ms per file. jest compiles each module with vm.compileFunction; the first compile of a file in a worker
 * asks V8 for its code cache, and later compiles of the same file, with exactly the same source, start from it
 * (V8 checks the cache against its flags and source; jest's transform cache gives the same source each time). The
 * modules still run afresh in each test file's context: only the parsing is shared.
 */
const vm = require('node:vm');

const compileFunction = vm.compileFunction;
/** By file name: the source compiled and V8's code cache for it. */
const cached = new Map();

vm.compileFunction = function compileWithCodeCache(code, params, options) {
  const filename = options?.filename;
  if (typeof filename !== 'string' || options.cachedData !== undefined || options.produceCachedData !== undefined) {
    return compileFunction.call(this, code, params, options);
  }
  const entry = cached.get(filename);
  if (entry !== undefined && entry.code === code) {
    return compileFunction.call(this, code, params, { ...options, cachedData: entry.data });
  }
  const fn = compileFunction.call(this, code, params, { ...options, produceCachedData: true });
  if (fn.cachedDataProduced) cached.set(filename, { code, data: fn.cachedData });
  return fn;
};

module.exports = require('jest-runtime');
