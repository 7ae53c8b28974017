/** Attribute-level comparison of two resource bodies (pure). */
import { deepEqual, isJsonObject, normalizeUnset, stripIndices, unwrapSingleBlock, type JsonObject, type JsonValue, type MaybeJson } from './json';

/** Meta-arguments: changing them never changes the real resource. `lifecycle.ignore_changes` is honoured separately. */
export const META_ARGUMENTS: ReadonlySet<string> = new Set(['depends_on', 'lifecycle', 'provider', 'provisioner', 'connection']);

export interface RawAttributeChange {
  readonly path: string;
  readonly before: MaybeJson;
  readonly after: MaybeJson;
}

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function isListOfBlocks(value: MaybeJson): value is JsonObject[] {
  return Array.isArray(value) && value.every(isJsonObject);
}

function walk(path: string, beforeRaw: MaybeJson, afterRaw: MaybeJson, out: RawAttributeChange[]): void {
  const before = unwrapSingleBlock(beforeRaw);
  const after = unwrapSingleBlock(afterRaw);
  if (deepEqual(before, after)) return;
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(joinPath(path, key), before[key], after[key], out);
    return;
  }
  if (isListOfBlocks(before) && isListOfBlocks(after) && before.length === after.length) {
    before.forEach((item, index) => walk(`${path}[${index}]`, item, after[index], out));
    return;
  }
  out.push({ path, before, after });
}

/**
 * Changed attributes, at the deepest level where both sides still have the same shape:
 * `default_node_pool.vm_size` for a changed nested value, `network_profile` for an added block.
 */
export function diffAttributes(before: JsonObject, after: JsonObject): RawAttributeChange[] {
  const out: RawAttributeChange[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !META_ARGUMENTS.has(k)).sort();
  for (const key of keys) walk(key, before[key], after[key], out);
  return out;
}

/**
 * Value at a dotted attribute path (no indices). Single-element block lists are unwrapped; longer
 * block lists yield the list of the children's values, so `georeplications.location` works for any count.
 */
export function valueAt(attributes: JsonObject, path: string): MaybeJson {
  let current: MaybeJson = attributes;
  for (const segment of path.split('.')) {
    current = unwrapSingleBlock(current);
    if (isJsonObject(current)) {
      current = normalizeUnset(current[segment]);
    } else if (isListOfBlocks(current)) {
      const values: JsonValue[] = current.flatMap((item) => {
        const child = normalizeUnset(item[segment]);
        return child === undefined ? [] : [child];
      });
      current = values.length === 0 ? undefined : values;
    } else {
      return undefined;
    }
  }
  return unwrapSingleBlock(current);
}

/** Paths listed in `lifecycle.ignore_changes`, normalised without indices; `all` ignores everything. */
export function ignoredChanges(attributes: JsonObject): { readonly all: boolean; readonly paths: readonly string[] } {
  const lifecycle = unwrapSingleBlock(attributes.lifecycle);
  const raw = isJsonObject(lifecycle) ? lifecycle.ignore_changes : undefined;
  if (raw === 'all') return { all: true, paths: [] };
  if (!Array.isArray(raw)) return { all: false, paths: [] };
  const paths = raw.flatMap((item) => (typeof item === 'string' ? [stripIndices(item)] : []));
  return { all: paths.includes('all'), paths: paths.filter((p) => p !== 'all') };
}

/** `a.b` is covered by `a` and by `a.b`; a block `a` (added as a whole) is covered when `a.b` is ignored too. */
export function pathsOverlap(path: string, other: string): boolean {
  return path === other || path.startsWith(`${other}.`) || other.startsWith(`${path}.`);
}

export function isIgnored(path: string, ignored: { readonly all: boolean; readonly paths: readonly string[] }): boolean {
  if (ignored.all) return true;
  const normalized = stripIndices(path);
  return ignored.paths.some((p) => normalized === p || normalized.startsWith(`${p}.`));
}

const SENSITIVE_SEGMENT = /(password|secret|plaintext_value|encrypted_value|client_key|private_key|token|kube_config|key_data)/i;
const SENSITIVE_TYPES: ReadonlySet<string> = new Set(['github_actions_environment_secret', 'github_actions_secret']);

export function isSensitive(type: string, path: string): boolean {
  if (SENSITIVE_TYPES.has(type) && /(value)$/.test(path)) return true;
  return path.split('.').some((segment) => SENSITIVE_SEGMENT.test(segment));
}

function leaves(prefix: string, value: MaybeJson, out: Map<string, string>): void {
  const current = unwrapSingleBlock(value);
  if (current === undefined) return;
  if (isJsonObject(current)) {
    for (const [key, child] of Object.entries(current)) {
      if (!META_ARGUMENTS.has(key) || prefix !== '') leaves(joinPath(prefix, key), child, out);
    }
    return;
  }
  if (isListOfBlocks(current)) {
    current.forEach((item, index) => leaves(`${prefix}[${index}]`, item, out));
    return;
  }
  out.set(prefix, JSON.stringify(current));
}

/** Share (0..1) of leaf attributes that are equal on both sides; used to recognise a renamed resource. */
export function similarity(before: JsonObject, after: JsonObject): number {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves('', before, a);
  leaves('', after, b);
  const keys = new Set([...a.keys(), ...b.keys()]);
  if (keys.size === 0) return 1;
  let equal = 0;
  for (const key of keys) if (a.get(key) === b.get(key)) equal += 1;
  return equal / keys.size;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites Terraform references inside `${...}` expressions, new address → old address, so resources
 * that merely point at a renamed/moved resource do not show spurious changes.
 */
export function renameReferences(value: JsonValue, renames: ReadonlyMap<string, string>): JsonValue {
  if (renames.size === 0) return value;
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    let result = value;
    for (const [to, from] of renames) {
      result = result.replace(new RegExp(`(^|[^\\w.])${escapeRegExp(to)}(?=[.\\[}\\s,)]|$)`, 'g'), `$1${from}`);
    }
    return result;
  }
  if (Array.isArray(value)) return value.map((item) => renameReferences(item, renames));
  if (isJsonObject(value)) {
    const result: JsonObject = {};
    for (const [key, child] of Object.entries(value)) result[key] = renameReferences(child, renames);
    return result;
  }
  return value;
}
