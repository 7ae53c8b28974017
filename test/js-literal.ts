/**
 * Values as JavaScript source: for reproductions in test messages, and for the configuration a test writes into an
 * app copy (test/helpers.ts useConfig). Apart from test/arbitraries.ts, so that a test that only writes a
 * configuration does not load fast-check.
 */

/** Renders a value as a JavaScript literal (NaN, Infinity and undefined included), for repro messages and generated source. */
export function jsLiteral(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return jsString(value);
  if (Array.isArray(value)) return `[${value.map(jsLiteral).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${jsLiteral(v)}`).join(', ')} }`;
  return String(value);
}

/** A string literal with every non-ASCII character escaped, so a no-break space or a bidi override is visible. */
const jsString = (s: string): string => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A short form of jsLiteral for messages: long strings are elided. */
export function shortLiteral(value: unknown): string {
  if (typeof value === 'string' && value.length > 40) return `${jsString(value.slice(0, 16))} + ... (${value.length} chars)`;
  const s = jsLiteral(value);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
