/**
 * jest setupFiles: cheap token creation stacks. cdktf and constructs record a full stack trace (no depth limit)
 * for every token and metadata entry they create, with Error.captureStackTrace on a plain object whose `.stack`
 * they read at once; jest renders every such trace through its source maps (and parses the inline source map of
 * each cdktf and provider module on the way), which made synthesizing in a test several times slower than in
 * `main.ts`. Nothing reads those traces but cdktf's own messages for tokens that fail to resolve. Here a plain
 * object's trace is empty and not even collected: Error.captureStackTrace on one just sets `stack` to ''. An Error's
 * stack is captured and rendered by jest as before (source-mapped), so failing tests read the same.
 */
const captureStackTrace = Error.captureStackTrace;
Error.captureStackTrace = function captureErrorStackTrace(target, below) {
  if (target !== null && typeof target === 'object' && Object.getPrototypeOf(target) === Object.prototype) {
    target.stack = '';
    return;
  }
  captureStackTrace.call(Error, target, below);
};
