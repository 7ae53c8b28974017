/** JSON value helpers shared by the plan-diff modules (pure, no I/O). */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A value read at an attribute path: `undefined` when the attribute is not set. */
export type MaybeJson = JsonValue | undefined;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Treats `null` like an unset attribute (cdktf omits unset attributes; `null` means "not set" to Terraform). */
export function normalizeUnset(value: MaybeJson): MaybeJson {
  return value === null ? undefined : value;
}

export function deepEqual(a: MaybeJson, b: MaybeJson): boolean {
  const left = normalizeUnset(a);
  const right = normalizeUnset(b);
  if (left === right) return true;
  if (left === undefined || right === undefined) return false;
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => deepEqual(item, right[index]));
  }
  if (isJsonObject(left) && isJsonObject(right)) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of keys) {
      if (!deepEqual(left[key], right[key])) return false;
    }
    return true;
  }
  return false;
}

/** A block that cdktf rendered as a single-element list is the same block as the bare object. */
export function unwrapSingleBlock(value: MaybeJson): MaybeJson {
  if (Array.isArray(value) && value.length === 1 && isJsonObject(value[0])) return value[0];
  return normalizeUnset(value);
}

/** Compact JSON, truncated to `max` characters; `(unset)` for a missing value. */
export function compactJson(value: MaybeJson, max = 80): string {
  const normalized = normalizeUnset(value);
  if (normalized === undefined) return '(unset)';
  const text = JSON.stringify(normalized);
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

/** Strips list indices from a path: `a[0].b["k"]` → `a.b.k`. */
export function stripIndices(path: string): string {
  return path
    .replace(/\[(\d+|\*)\]/g, '')
    .replace(/\["([^"]*)"\]/g, '.$1')
    .replace(/^\./, '');
}
