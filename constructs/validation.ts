import { Token } from 'cdktf';
import { RESOURCE_GROUP, RESOURCE_GROUP_ALLOWED } from './names';
import { AZURE_REGIONS, REGION_ALLOWED, isAzureRegion, normalizeLocation } from './regions';

/** One validation problem: the field it is about (a props path such as `geoReplications[0].location`) and what is wrong. */
export interface Problem {
  /** The props path of the offending value, for example `userNodePools[0].name`. */
  readonly field: string;
  /** What is wrong and what is allowed, for example `"x" is not allowed: 5-50 letters or digits`. */
  readonly message: string;
}

/**
 * The one error that config validation and every construct throw: it lists every problem at once, one
 * `field: message` line each. It is the only place problems are turned into text.
 */
export class ValidationError extends Error {
  /** What was being validated, for example `registry "stack/registry"`. */
  public readonly subject: string;
  /** Every problem, structured. */
  public readonly problems: readonly Problem[];

  /**
   * @param problems the problems; a string is accepted as a line already in `field: message` form (the
   * configuration and policy reports produce those) and is split at its first `: `.
   */
  constructor(subject: string, problems: readonly (Problem | string)[]) {
    const structured = problems.map(toProblem);
    super(`Invalid ${subject}: ${structured.length} problem${structured.length === 1 ? '' : 's'}\n${structured.map((p) => `  - ${ValidationError.format(p)}`).join('\n')}`);
    this.name = 'ValidationError';
    this.subject = subject;
    this.problems = structured;
  }

  /** The line a problem is shown as: `field: message`. */
  public static format(problem: Problem): string {
    return problem.field === '' ? problem.message : `${problem.field}: ${problem.message}`;
  }
}

function toProblem(problem: Problem | string): Problem {
  if (typeof problem !== 'string') return problem;
  const colon = problem.indexOf(': ');
  return colon <= 0 ? { field: '', message: problem } : { field: problem.slice(0, colon), message: problem.slice(colon + 2) };
}

/** Throws one ValidationError listing `problems`, if there are any. */
export function throwIfInvalid(subject: string, problems: readonly Problem[]): void {
  if (problems.length > 0) throw new ValidationError(subject, problems);
}

/** True when `value` is a cdktf token (a reference resolved at deploy time), which synth-time checks must skip. */
export function isToken(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
}

/**
 * Collects problems for one subject. Each check is skipped for tokens, and reports
 * wrong types as problems instead of throwing a TypeError, so malformed input from
 * JavaScript callers or hand-edited config still gets one readable message.
 */
export class Problems {
  public readonly list: Problem[] = [];

  /** Records that `field` has a problem, described by `message`. */
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  /** A required string matching `pattern`; `allowed` says in words what is allowed. */
  string(field: string, value: unknown, pattern: RegExp, allowed: string): value is string {
    if (isToken(value)) return true;
    if (typeof value !== 'string') {
      this.add(field, `must be a string (${allowed}), got ${describe(value)}`);
      return false;
    }
    if (!pattern.test(value)) {
      this.add(field, `${describe(value)} is not allowed: ${allowed}`);
      return false;
    }
    return true;
  }

  /** An optional string; undefined passes. */
  optionalString(field: string, value: unknown, pattern: RegExp, allowed: string): void {
    if (value !== undefined) this.string(field, value, pattern, allowed);
  }

  /** A whole number in [min, max]. */
  integer(field: string, value: unknown, min: number, max: number): value is number {
    if (isToken(value)) return true;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(field, `must be a whole number from ${min} to ${max}, got ${describe(value)}`);
      return false;
    }
    return true;
  }

  optionalInteger(field: string, value: unknown, min: number, max: number): void {
    if (value !== undefined) this.integer(field, value, min, max);
  }

  boolean(field: string, value: unknown): value is boolean {
    if (value === undefined || typeof value === 'boolean' || isToken(value)) return true;
    this.add(field, `must be true or false, got ${describe(value)}`);
    return false;
  }

  /** One of `allowed`, or undefined when optional. */
  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], optional = true): value is T {
    if ((optional && value === undefined) || isToken(value)) return true;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.add(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(value)}`);
      return false;
    }
    return true;
  }

  /** An array (or undefined when optional); returns its items, or [] when it is not an array. */
  array(field: string, value: unknown, optional = true, maxItems = Infinity): readonly unknown[] {
    if (value === undefined && optional) return [];
    if (isToken(value)) return [];
    if (!Array.isArray(value)) {
      this.add(field, `must be a list, got ${describe(value)}`);
      return [];
    }
    if (value.length > maxItems) this.add(field, `at most ${maxItems} entries are allowed, got ${value.length}`);
    return value;
  }

  /** A plain object (or undefined when optional). */
  object(field: string, value: unknown, optional = false): value is Record<string, unknown> {
    if (value === undefined && optional) return false;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.add(field, `must be an object, got ${describe(value)}`);
      return false;
    }
    return true;
  }

  /** Reports each value that appears more than once, compared by `key`. */
  unique(field: string, values: readonly unknown[], key: (v: string) => string = (v) => v): void {
    const seen = new Set<string>();
    const reported = new Set<string>();
    for (const v of values) {
      if ((typeof v !== 'string' && typeof v !== 'number') || isToken(v)) continue;
      const k = key(String(v));
      if (seen.has(k) && !reported.has(k)) {
        this.add(field, `${describe(v)} appears more than once; each entry must be unique`);
        reported.add(k);
      }
      seen.add(k);
    }
  }

  /** An Azure region name (tokens pass). */
  region(field: string, value: unknown): value is string {
    if (isToken(value)) return true;
    if (!this.string(field, value, /\S/, REGION_ALLOWED)) return false;
    if (!isAzureRegion(value)) {
      const near = closest(normalizeLocation(value), AZURE_REGIONS);
      this.add(field, `${describe(value)} is not an Azure region${near ? ` (did you mean ${near}?)` : ''}; use ${REGION_ALLOWED}`);
      return false;
    }
    return true;
  }

  /** A resource group name, as Azure allows it. */
  resourceGroup(field: string, value: unknown): void {
    this.string(field, value, RESOURCE_GROUP, RESOURCE_GROUP_ALLOWED);
  }

  /** Tags: at most 50, names up to 512 characters, values up to 256, as Azure allows. */
  tags(field: string, value: unknown): void {
    if (value === undefined || isToken(value)) return;
    if (!this.object(field, value)) return;
    const entries = Object.entries(value);
    if (entries.length > 50) this.add(field, `Azure allows at most 50 tags, got ${entries.length}`);
    for (const [k, v] of entries) {
      if (k.length < 1 || k.length > 512 || /[<>%&\\?/]/.test(k)) this.add(field, `tag name ${describe(k)} must be 1-512 characters without < > % & \\ ? /`);
      if (typeof v !== 'string' || v.length > 256) this.add(`${field}[${describe(k)}]`, `tag value must be a string of at most 256 characters`);
    }
  }
}

/**
 * Edit distance between two strings (insertions, deletions, substitutions, adjacent swaps), or `limit + 1` as soon
 * as it is certain to exceed `limit`: three rolling rows instead of a matrix (`rows`, reused between calls, holds
 * them), and a stop once a whole row is over it.
 */
function editDistance(a: string, b: string, limit: number, rows: Int32Array): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const width = b.length + 1;
  // Row i - 2, row i - 1 and row i, by offset into `rows`; they rotate.
  let before = 0;
  let previous = width;
  let current = 2 * width;
  for (let j = 0; j < width; j++) rows[previous + j] = j;
  for (let i = 1; i <= a.length; i++) {
    rows[current] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(rows[previous + j] + 1, rows[current + j - 1] + 1, rows[previous + j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) d = Math.min(d, rows[before + j - 2] + 1);
      rows[current + j] = d;
      if (d < rowMin) rowMin = d;
    }
    // Every later cell is at least the smallest of this row, or of the row before plus one for a swap; and a row's
    // smallest is at most one more than the row before's, so that one was at least the limit.
    if (rowMin > limit) return limit + 1;
    const free = before;
    before = previous;
    previous = current;
    current = free;
  }
  return rows[previous + b.length];
}

/**
 * The candidate a mistyped `word` most likely meant, for "did you mean ...?": the nearest by edit distance (case
 * ignored), if it is within a third of the word's length (at least 1, at most 3 edits); else the one candidate the
 * word abbreviates; otherwise undefined.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  // Three rows long enough for any candidate the length check lets through.
  const rows = new Int32Array(3 * (w.length + limit + 1));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(w, candidate.toLowerCase(), limit, rows);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  if (best !== undefined) return best.candidate;
  // An abbreviation (`repo` for `repository`): the one candidate that starts with the word.
  const prefixed = [...candidates].filter((c) => w.length >= 3 && c.toLowerCase().startsWith(w));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** A short, single-line description of a value for an error message (strings JSON-escaped, long ones cut). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 50 ? `${JSON.stringify(value.slice(0, 47)).slice(0, -1)}..." (${value.length} characters)` : JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
