/**
 * jest setupFiles: cheap token creation stacks. cdktf and constructs record a full stack trace (no depth limit)
 * for every token and metadata entry they create, by reading `.stack` of a plain object; jest renders every such
 * trace through its source maps (and parses the inline source map of each cdktf and provider module on the way),
 * which made synthesizing in a test several times slower than in `main.ts`. Nothing reads those traces but cdktf's
 * own messages for tokens that fail to resolve. A plain object's trace is now empty; a real Error's stack is
 * still rendered by jest (source-mapped, as before), so failing tests read the same.
 */
/** The Error of jest's own realm (the worker), where jest installs its source-mapping formatter. */
function outerError() {
  try {
    Buffer.alloc(-1);
  } catch (e) {
    for (let proto = Object.getPrototypeOf(e); proto; proto = Object.getPrototypeOf(proto)) {
      if (Object.prototype.hasOwnProperty.call(proto, 'constructor') && proto.constructor.name === 'Error') return proto.constructor;
    }
  }
  throw new Error('test/stack-traces.cjs: no Error of the outer realm found');
}

const Outer = outerError();
Error.prepareStackTrace = (error, frames) => {
  if (Object.getPrototypeOf(error) === Object.prototype) return '';
  // Looked up on each call: jest installs its formatter after the setup files run.
  if (typeof Outer.prepareStackTrace === 'function') return Outer.prepareStackTrace(error, frames);
  return `${error}${frames.map((f) => `\n    at ${f}`).join('')}`;
};
