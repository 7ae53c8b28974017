/** Core comparison of two synthesized outputs, stack by stack and resource by resource (pure). */
import { diffAttributes, ignoredChanges, isIgnored, isSensitive, pathsOverlap, renameReferences, similarity, type RawAttributeChange } from './attributes';
import { diffHelmValues, HELM_VALUES_ATTRIBUTE } from './helm-values';
import { deepEqual, isJsonObject, stripIndices, unwrapSingleBlock, type JsonObject } from './json';
import type {
  Action,
  ActionCounts,
  AddressChange,
  AttributeChange,
  PlanDiff,
  ResourceChange,
  PreventDestroy,
  ResourceConfig,
  StackConfig,
  StackDiff,
  SynthOutput,
} from './model';
import { ACTIONS } from './model';
import { analyzeReplacement } from './replacement';

/** Minimum share of equal attributes for a destroyed/created pair of the same type to count as an address change. */
export const RENAME_SIMILARITY = 0.75;
/** Lower bound when the `name` argument is identical on both sides (the real Azure/GitHub name did not change). */
export const RENAME_SIMILARITY_SAME_NAME = 0.5;

/** Rounds of address-change detection (each can resolve references to the renames found by the previous one). */
const RENAME_ROUNDS = 4;

const EMPTY_RESOURCES: ReadonlyMap<string, ResourceConfig> = new Map();

function code(text: string): string {
  return `\`${text}\``;
}

function label(resource: ResourceConfig): string | undefined {
  const name = resource.attributes.name;
  return typeof name === 'string' ? `name ${JSON.stringify(name)}` : undefined;
}

interface Pair {
  readonly before: ResourceConfig;
  readonly after: ResourceConfig;
}

/** Moved blocks in the head synthesis that map a base address to a head address. */
function movedPairs(base: ReadonlyMap<string, ResourceConfig>, head: StackConfig | undefined): Pair[] {
  if (head === undefined) return [];
  return head.moved.flatMap(({ from, to }) => {
    const before = base.get(from);
    const after = head.resources.get(to);
    return before && after && !base.has(to) && !head.resources.has(from) ? [{ before, after }] : [];
  });
}

function isRenameCandidate(before: ResourceConfig, after: ResourceConfig, score: number): boolean {
  if (before.type !== after.type) return false;
  const sameName = typeof before.attributes.name === 'string' && before.attributes.name === after.attributes.name;
  return score >= RENAME_SIMILARITY || (sameName && score >= RENAME_SIMILARITY_SAME_NAME);
}

function renamedAttributes(resource: ResourceConfig, renames: ReadonlyMap<string, string>): JsonObject {
  const renamed = renameReferences(resource.attributes, renames);
  return isJsonObject(renamed) ? renamed : {};
}

/**
 * Greedy best-first pairing of destroyed and created resources of the same type with (nearly) the same
 * attributes; references to already known renames are compared as their old addresses.
 */
export function detectAddressChanges(
  destroyed: readonly ResourceConfig[],
  created: readonly ResourceConfig[],
  renames: ReadonlyMap<string, string> = new Map(),
): Array<Pair & { score: number }> {
  const candidates = destroyed.flatMap((before) =>
    created.flatMap((after) => {
      const score = before.type === after.type ? similarity(before.attributes, renamedAttributes(after, renames)) : 0;
      return isRenameCandidate(before, after, score) ? [{ before, after, score }] : [];
    }),
  );
  candidates.sort((a, b) => b.score - a.score || a.before.address.localeCompare(b.before.address));
  const usedBefore = new Set<string>();
  const usedAfter = new Set<string>();
  const pairs: Array<Pair & { score: number }> = [];
  for (const candidate of candidates) {
    if (usedBefore.has(candidate.before.address) || usedAfter.has(candidate.after.address)) continue;
    usedBefore.add(candidate.before.address);
    usedAfter.add(candidate.after.address);
    pairs.push(candidate);
  }
  return pairs;
}

/** True when the resource sets `lifecycle.prevent_destroy` (cdktf renders the block as an object or a one-element list). */
export function hasPreventDestroy(resource: ResourceConfig): boolean {
  const lifecycle = unwrapSingleBlock(resource.attributes.lifecycle);
  if (!isJsonObject(lifecycle)) return false;
  const flag = lifecycle.prevent_destroy;
  return flag === true || flag === 'true';
}

/** Terraform checks prevent_destroy in the configuration it plans, i.e. the head; a base-only flag is being lifted. */
function preventDestroyOf(action: Action, before: ResourceConfig, after: ResourceConfig | undefined): PreventDestroy | undefined {
  if (action !== 'replace' && action !== 'destroy') return undefined;
  if (after !== undefined && hasPreventDestroy(after)) return 'refused';
  return hasPreventDestroy(before) ? 'lifted' : undefined;
}

/**
 * A `helm_release`'s `values` change, one entry per changed key of the parsed YAML; the raw change with a note
 * when a side is not YAML. No entries (and a note) when only formatting, comments or key order changed.
 */
function expandHelmValues(type: string, raw: readonly RawAttributeChange[], notes: string[]): RawAttributeChange[] {
  if (type !== 'helm_release') return [...raw];
  return raw.flatMap((change) => {
    if (change.path !== HELM_VALUES_ATTRIBUTE) return [change];
    const values = diffHelmValues(change.before, change.after);
    if (!values.ok) {
      notes.push(`values compared as text: ${values.reason}`);
      const { before, after } = change;
      if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) return [change];
      return before.flatMap((item, index) => (deepEqual(item, after[index]) ? [] : [{ path: `${change.path}[${index}]`, before: item, after: after[index] }]));
    }
    if (values.changes.length === 0) notes.push('values: the YAML text changed but no key did (formatting, comments or order); Terraform still updates the release');
    return values.changes;
  });
}

function compareResources(before: ResourceConfig, after: ResourceConfig, renames: ReadonlyMap<string, string>, movedFrom?: string): ResourceChange | undefined {
  const afterAttributes = renamedAttributes(after, renames);
  const ignored = ignoredChanges(after.attributes);
  const raw = diffAttributes(before.attributes, afterAttributes).filter((change) => !isIgnored(change.path, ignored));
  if (raw.length === 0) return undefined;
  const analysis = analyzeReplacement(after.type, before.attributes, afterAttributes, ignored);
  const notes: string[] = [];
  const changes: AttributeChange[] = expandHelmValues(after.type, raw, notes).map((change) => ({
    ...change,
    forcesReplacement: analysis.forcedBy.some((forced) => pathsOverlap(stripIndices(change.path), forced.attribute)),
    sensitive: isSensitive(after.type, change.path),
  }));
  if (movedFrom !== undefined) notes.unshift(`moved from ${code(movedFrom)} (moved block)`);
  if (!analysis.known) notes.push(`replacement rules unknown for ${code(after.type)}: shown as an update`);
  const action = analysis.forcedBy.length > 0 ? 'replace' : 'update';
  const preventDestroy = preventDestroyOf(action, before, after);
  return {
    action,
    address: after.address,
    type: after.type,
    constructPath: after.constructPath,
    changes,
    forcedBy: analysis.forcedBy,
    notes,
    warnings: analysis.warnings,
    ...(movedFrom !== undefined ? { movedFrom } : {}),
    ...(preventDestroy !== undefined ? { preventDestroy } : {}),
  };
}

function destroyNote(change: AddressChange): string {
  const fromPath = change.fromConstructPath || change.from;
  const toPath = change.toConstructPath || change.to;
  return (
    `address changed: this replaces the real resource (it is now ${code(change.to)} at ${code(toPath)}). ` +
    `Fix: restore the construct id (${code(fromPath)}), or keep the new id and move the state: ` +
    `call ${code(`.moveFromId("${change.from}")`)} on the new resource (cdktf moveTo/moveFromId render a moved block) ` +
    `or add ${code(`moved { from = ${change.from}, to = ${change.to} }`)}. Resources that reference it were compared as if the address were kept.`
  );
}

function createNote(change: AddressChange): string {
  return `address changed from ${code(change.from)} (${Math.round(change.similarity * 100)}% of attributes equal): see the destroy of ${code(change.from)}`;
}

function simpleChange(action: 'create' | 'destroy', resource: ResourceConfig, addressChange?: AddressChange): ResourceChange {
  const name = label(resource);
  const notes = [...(name ? [name] : []), ...(addressChange ? [action === 'destroy' ? destroyNote(addressChange) : createNote(addressChange)] : [])];
  const preventDestroy = action === 'destroy' ? preventDestroyOf(action, resource, undefined) : undefined;
  return {
    action,
    address: resource.address,
    type: resource.type,
    constructPath: resource.constructPath,
    changes: [],
    forcedBy: [],
    notes,
    warnings: [],
    ...(addressChange ? { addressChange } : {}),
    ...(preventDestroy !== undefined ? { preventDestroy } : {}),
  };
}

export function countActions(changes: readonly ResourceChange[]): ActionCounts {
  const counts: Record<Action, number> = { create: 0, update: 0, replace: 0, destroy: 0 };
  for (const change of changes) counts[change.action] += 1;
  return counts;
}

function sortChanges(changes: ResourceChange[]): ResourceChange[] {
  return changes.sort((a, b) => ACTIONS.indexOf(a.action) - ACTIONS.indexOf(b.action) || a.address.localeCompare(b.address));
}

export function diffStack(name: string, base: StackConfig | undefined, head: StackConfig | undefined): StackDiff {
  const baseResources = base?.resources ?? EMPTY_RESOURCES;
  const headResources = head?.resources ?? EMPTY_RESOURCES;
  const moved = movedPairs(baseResources, head);
  const movedFromAddresses = new Set(moved.map((p) => p.before.address));
  const movedToAddresses = new Set(moved.map((p) => p.after.address));
  const destroyed = [...baseResources.values()].filter((r) => !headResources.has(r.address) && !movedFromAddresses.has(r.address));
  const created = [...headResources.values()].filter((r) => !baseResources.has(r.address) && !movedToAddresses.has(r.address));
  const renames = new Map<string, string>(moved.map((pair) => [pair.after.address, pair.before.address]));
  const addressChanges: Array<Pair & { score: number }> = [];
  // A renamed parent construct renames its children too; each round resolves references to the previous round's renames.
  for (let round = 0; round < RENAME_ROUNDS; round += 1) {
    const paired = new Set(addressChanges.flatMap((p) => [p.before.address, p.after.address]));
    const found = detectAddressChanges(
      destroyed.filter((r) => !paired.has(r.address)),
      created.filter((r) => !paired.has(r.address)),
      renames,
    );
    if (found.length === 0) break;
    addressChanges.push(...found);
    for (const pair of found) renames.set(pair.after.address, pair.before.address);
  }

  const changes: ResourceChange[] = [];
  for (const before of baseResources.values()) {
    const after = headResources.get(before.address);
    const change = after ? compareResources(before, after, renames) : undefined;
    if (change) changes.push(change);
  }
  for (const pair of moved) {
    const change = compareResources(pair.before, pair.after, renames, pair.before.address);
    if (change) changes.push(change);
  }
  const byBefore = new Map(addressChanges.map((p) => [p.before.address, p]));
  const byAfter = new Map(addressChanges.map((p) => [p.after.address, p]));
  const toAddressChange = (p: Pair & { score: number }): AddressChange => ({
    from: p.before.address,
    to: p.after.address,
    fromConstructPath: p.before.constructPath,
    toConstructPath: p.after.constructPath,
    similarity: p.score,
  });
  for (const resource of destroyed) {
    const pair = byBefore.get(resource.address);
    changes.push(simpleChange('destroy', resource, pair ? toAddressChange(pair) : undefined));
  }
  for (const resource of created) {
    const pair = byAfter.get(resource.address);
    changes.push(simpleChange('create', resource, pair ? toAddressChange(pair) : undefined));
  }

  const sorted = sortChanges(changes);
  const counts = countActions(sorted);
  const status = base === undefined ? 'added' : head === undefined ? 'removed' : sorted.length === 0 ? 'unchanged' : 'changed';
  const moves = moved.map((p) => ({ from: p.before.address, to: p.after.address }));
  return { stack: name, status, changes: sorted, counts, moves };
}

export function diffSynth(base: SynthOutput, head: SynthOutput): PlanDiff {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return { stacks: names.map((name) => diffStack(name, base.get(name), head.get(name))) };
}
