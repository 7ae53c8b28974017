/**
 * Per-key comparison of a `helm_release`'s `values` (a list of YAML documents), as `helm diff` shows it (pure).
 * Both sides are parsed and merged the way Helm merges several values files (maps deep-merge, anything else
 * is replaced by the later file); the change is then listed per key path: `values.autoscaling.minReplicas: 3 → 4`.
 * Terraform expressions (`${...}`) inside the YAML are kept as written (they are strings to the YAML parser).
 */
import { parseDocument } from 'yaml';
import type { RawAttributeChange } from './attributes';
import { deepEqual, isJsonObject, normalizeUnset, type JsonObject, type JsonValue, type MaybeJson } from './json';

/** The attribute that holds the values files. */
export const HELM_VALUES_ATTRIBUTE = 'values';

export type HelmValuesDiff =
  | { readonly ok: true; readonly changes: RawAttributeChange[] }
  | { readonly ok: false; readonly reason: string };

type Parsed = { readonly ok: true; readonly values: JsonObject } | { readonly ok: false; readonly reason: string };

function deepMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const result: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = result[key];
    result[key] = isJsonObject(current) && isJsonObject(value) ? deepMerge(current, value) : value;
  }
  return result;
}

/** Round-trips through JSON so dates, big numbers and the like become plain JSON values. */
function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

/** Parses and merges one side's list of YAML documents; `ok: false` when any of them is not a YAML mapping. */
export function parseValuesList(side: string, raw: MaybeJson): Parsed {
  const value = normalizeUnset(raw);
  if (value === undefined) return { ok: true, values: {} };
  if (!Array.isArray(value)) return { ok: false, reason: `the ${side} values are not a list` };
  let merged: JsonObject = {};
  for (const [index, item] of value.entries()) {
    if (typeof item !== 'string') return { ok: false, reason: `${side} values[${index}] is not a string` };
    const document = parseDocument(item, { prettyErrors: false, uniqueKeys: false });
    if (document.errors.length > 0) {
      const message = document.errors[0].message.split('\n')[0];
      return { ok: false, reason: `${side} values[${index}] is not valid YAML (${message})` };
    }
    let parsed: JsonValue;
    try {
      parsed = toJson(document.toJS({ maxAliasCount: 1000 }));
    } catch (error) {
      return { ok: false, reason: `${side} values[${index}] could not be read (${error instanceof Error ? error.message : String(error)})` };
    }
    if (parsed === null) continue; // an empty document
    if (!isJsonObject(parsed)) return { ok: false, reason: `${side} values[${index}] is not a YAML mapping` };
    merged = deepMerge(merged, parsed);
  }
  return { ok: true, values: merged };
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `a.b` for plain keys, `a["prometheus.io/scrape"]` for keys that hold dots, slashes or spaces. */
export function joinKey(parent: string, key: string): string {
  return PLAIN_KEY.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function isContainer(value: MaybeJson): value is JsonObject | JsonValue[] {
  return isJsonObject(value) ? Object.keys(value).length > 0 : Array.isArray(value) && value.length > 0;
}

function walk(path: string, beforeRaw: MaybeJson, afterRaw: MaybeJson, out: RawAttributeChange[]): void {
  const before = normalizeUnset(beforeRaw);
  const after = normalizeUnset(afterRaw);
  if (deepEqual(before, after)) return;
  // An added or removed map or list is listed leaf by leaf, as helm diff shows it line by line.
  if (before === undefined && isContainer(after)) {
    if (Array.isArray(after)) after.forEach((item, index) => walk(`${path}[${index}]`, undefined, item, out));
    else for (const key of Object.keys(after).sort()) walk(joinKey(path, key), undefined, after[key], out);
    return;
  }
  if (after === undefined && isContainer(before)) {
    if (Array.isArray(before)) before.forEach((item, index) => walk(`${path}[${index}]`, item, undefined, out));
    else for (const key of Object.keys(before).sort()) walk(joinKey(path, key), before[key], undefined, out);
    return;
  }
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(joinKey(path, key), before[key], after[key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let index = 0; index < length; index += 1) walk(`${path}[${index}]`, before[index], after[index], out);
    return;
  }
  out.push({ path, before, after });
}

/**
 * Changes between two `values` lists, one per changed key path (prefixed with `values`): a changed map is
 * descended into, lists are compared item by item, and an added or removed key is `(unset)` on one side
 * (an added or removed map or list leaf by leaf).
 * `ok: false` (with the reason) when a side is not a list of YAML mappings: compare the raw text then.
 */
export function diffHelmValues(before: MaybeJson, after: MaybeJson): HelmValuesDiff {
  const left = parseValuesList('base', before);
  if (!left.ok) return left;
  const right = parseValuesList('head', after);
  if (!right.ok) return right;
  const out: RawAttributeChange[] = [];
  walk(HELM_VALUES_ATTRIBUTE, left.values, right.values, out);
  return { ok: true, changes: out };
}
