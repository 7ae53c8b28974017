/** Fitting text to a width: word wrapping, breaking over-long tokens, eliding values around their difference (pure). */
import { normalizeUnset, type MaybeJson } from './json';

/** Marks elided text. */
export const ELLIPSIS = '…';

/** Where an over-long token (an address, a path) is preferably broken: after one of these characters. */
const BREAK_AFTER = /[-_./:,]/;

/** Splits a token longer than `room` into pieces of at most `room` characters, after a `-_./:,` where one is near the end. */
export function breakToken(token: string, room: number): string[] {
  const size = Math.max(1, room);
  const pieces: string[] = [];
  let rest = token;
  while (rest.length > size) {
    let cut = size;
    for (let i = size; i > Math.floor(size * 0.6); i -= 1) {
      if (BREAK_AFTER.test(rest[i - 1])) {
        cut = i;
        break;
      }
    }
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

/**
 * Word-wraps `text` to `width` columns: the first line starts with `indent`, the following ones with `hanging`.
 * Words longer than a line are broken ({@link breakToken}); no line is longer than `width` unless an indent is.
 */
export function wrapLine(text: string, width: number, indent = '', hanging = indent): string[] {
  const lines: string[] = [];
  let current = indent;
  let empty = true;
  const push = () => {
    lines.push(current.trimEnd());
    current = hanging;
    empty = true;
  };
  for (const word of text.split(' ').filter((w) => w !== '')) {
    if (!empty && current.length + 1 + word.length > width) push();
    const room = width - current.length - (empty ? 0 : 1);
    if (word.length <= room) {
      current += `${empty ? '' : ' '}${word}`;
      empty = false;
      continue;
    }
    if (!empty) push();
    const pieces = breakToken(word, width - current.length);
    pieces.forEach((piece, index) => {
      current += piece;
      empty = false;
      if (index < pieces.length - 1) push();
    });
  }
  if (!empty || lines.length === 0) lines.push(current.trimEnd());
  return lines;
}

/** A string that is one Terraform expression, `${...}`, shown as written rather than as a quoted JSON string. */
export function isWholeExpression(value: unknown): value is string {
  return typeof value === 'string' && /^\$\{[^]*\}$/.test(value) && value.indexOf('${', 2) === -1;
}

/** The full display text of a value: `(unset)`, `(sensitive)`, a Terraform expression as written, or compact JSON. */
export function displayValue(value: MaybeJson, sensitive: boolean): string {
  const normalized = normalizeUnset(value);
  if (normalized === undefined) return '(unset)';
  if (sensitive) return '(sensitive)';
  if (isWholeExpression(normalized)) return normalized;
  return JSON.stringify(normalized);
}

/** `max` characters of `text` starting near `start`, with {@link ELLIPSIS} where text is left out. */
export function window(text: string, start: number, max: number): string {
  if (text.length <= max) return text;
  const size = Math.max(2, max);
  const from = Math.max(0, Math.min(start, text.length - (size - 1)));
  if (from === 0) return `${text.slice(0, size - 1)}${ELLIPSIS}`;
  const body = text.slice(from, from + size - 1);
  if (from + body.length >= text.length) return `${ELLIPSIS}${body}`;
  return `${ELLIPSIS}${body.slice(0, size - 2)}${ELLIPSIS}`;
}

/**
 * Display texts of a changed value's two sides, each at most `max` characters. Long values are elided around
 * the first difference, so two long strings that differ near their end do not show as the same truncated text.
 */
export function valuePair(before: MaybeJson, after: MaybeJson, sensitive: boolean, max: number): [string, string] {
  const left = displayValue(before, sensitive);
  const right = displayValue(after, sensitive);
  if (left.length <= max && right.length <= max) return [left, right];
  let common = 0;
  while (common < left.length && common < right.length && left[common] === right[common]) common += 1;
  // Show about a third of the window before the first difference, when the difference is past the first window.
  const start = common < max - 1 ? 0 : common - Math.floor(max / 3);
  return [window(left, start, max), window(right, start, max)];
}
