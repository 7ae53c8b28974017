/**
 * Generators of malformed (and valid) inputs for the fuzz tests, derived from live objects rather than from a
 * hard-coded shape: a base object (the shipped config, or construct props built from it) is walked, and each
 * mutation targets a node found by that walk. New config fields are fuzzed as soon as they exist.
 *
 * Every mutation says whether it is *strict*: a strict mutation makes the input malformed whatever the field
 * (a wrong type, a bad region, an out-of-range number, an oversize or empty name, a duplicate list entry, a
 * control character), so the validator must reject it. A non-strict mutation (deleting a key, borrowing another
 * field's value, an in-range number, an unknown key) may or may not stay valid; when it stays valid the input
 * must build and synthesize.
 */
import fc from 'fast-check';
import { isAzureRegion } from '../constructs/regions';
import { shortLiteral } from './js-literal';

export type Segment = string | number;
export type Path = readonly Segment[];
export type Kind = 'string' | 'number' | 'boolean' | 'null' | 'undefined' | 'array' | 'object' | 'other';

export interface TreeNode {
  readonly path: Path;
  readonly value: unknown;
}

export const kindOf = (v: unknown): Kind =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : (['string', 'number', 'boolean', 'undefined', 'object'] as const).find((k) => typeof v === k) ?? 'other';

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === 'object' && v !== null;

/** Every node below `root` (not `root` itself), depth first, with its path. */
export function nodesOf(root: unknown, path: Path = []): TreeNode[] {
  if (!isContainer(root)) return [];
  const entries: [Segment, unknown][] = Array.isArray(root) ? root.map((v, i) => [i, v]) : Object.entries(root);
  return entries.flatMap(([key, value]) => [{ path: [...path, key], value }, ...nodesOf(value, [...path, key])]);
}

/** `environments.prod.registry.geoReplications[0].location` */
export const formatPath = (path: Path): string =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(root)';

export function getAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (isContainer(node) ? (node as Record<Segment, unknown>)[key] : undefined), root);
}

function parentOf(root: unknown, path: Path): Record<Segment, unknown> {
  const parent = getAt(root, path.slice(0, -1));
  if (!isContainer(parent)) throw new Error(`no container at ${formatPath(path.slice(0, -1))}`);
  return parent as Record<Segment, unknown>;
}

export function setAt(root: unknown, path: Path, value: unknown): void {
  parentOf(root, path)[path[path.length - 1]] = value;
}

export function deleteAt(root: unknown, path: Path): void {
  const parent = parentOf(root, path);
  const key = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
}

/** A deep copy without `undefined`-valued keys, so optional props that are absent are not walked as leaves. */
export function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (isContainer(value)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, prune(v)])) as T;
  }
  return value;
}

/** A deep copy that keeps what JSON drops (undefined, NaN, Infinity): structuredClone does. */
export const clone = <T>(value: T): T => structuredClone(value);

// ---------------------------------------------------------------------------------------------------------------
// Mutations

export type MutationKind =
  | 'wrongType' // replace any node with a value of another JSON kind
  | 'emptyString' // replace a string with '' or whitespace
  | 'oversize' // replace a string with 300-3000 characters
  | 'controlChars' // insert a newline, tab, NUL, escape or bidi override into a string
  | 'badRegion' // replace an Azure region with a non-region
  | 'outOfRange' // replace a number with a negative, fractional, non-finite or unsafe number
  | 'duplicate' // append a copy of an existing list entry
  | 'pushWrongElement' // append an entry of the wrong kind to a list
  | 'delete' // delete a key or a list entry
  | 'borrow' // copy another field's value of the same kind (cross-field and cross-environment clashes)
  | 'numberInRange' // replace a number with a small whole number
  | 'unknownKey'; // add an unexpected key to an object

export interface Mutation {
  readonly kind: MutationKind;
  readonly path: Path;
  /** The new value (absent for delete). */
  readonly value?: unknown;
  /** True when the result is malformed whatever the field, so validation must reject it. */
  readonly strict: boolean;
}

/** Maps whose values are free-form (any string allowed, including empty): tags, labels, annotations, secrets, variables. */
const FREE_FORM_MAPS = new Set(['tags', 'nodeLabels', 'podLabels', 'podAnnotations', 'annotations', 'secrets', 'variables', 'nodeSelector']);
/**
 * Leaves whose strings are not names this code bounds: identifiers of other resources, URLs, paths, and prose
 * (a waiver's reason, a description). An empty, very long or multi-line value there is not malformed by itself.
 */
const NOT_A_NAME = /(Id|Url|Path|[Rr]eason|[Dd]escription)$/;

const insideFreeForm = (path: Path): boolean => path.slice(0, -1).some((s) => typeof s === 'string' && FREE_FORM_MAPS.has(s));
const lastName = (path: Path): string => String([...path].reverse().find((s) => typeof s === 'string') ?? '');
/** Whether an empty, oversize or control-character string at `path` is malformed whatever the field. */
const nameLike = (path: Path): boolean => !insideFreeForm(path) && !NOT_A_NAME.test(lastName(path));

export const WRONG_VALUES: Record<Exclude<Kind, 'undefined' | 'other'>, readonly unknown[]> = {
  string: ['x', '', 'not-a-number', '💥', 'a\nb'],
  number: [0, -1, 1.5, 42, NaN],
  boolean: [true, false],
  null: [null],
  array: [[], [1], ['a', 'b'], [null]],
  object: [{}, { a: 1 }, { name: 'x' }],
};

export const BAD_REGIONS = [
  'mars', 'eastus3', 'japaneast2', 'japan-east', 'us-east-1', 'JAPAN_EAST', 'global', 'europe',
  'japan\teast', 'japan\neast', 'Japan\u00a0East', 'koreacentral,japaneast', ' ', '*',
] as const;

/** Outside every range this code accepts: negative, fractional, non-finite, or beyond Number.MAX_SAFE_INTEGER. */
export const OUT_OF_RANGE = [-1, -50, -0.5, 0.5, 1.5, 99.9, NaN, Infinity, -Infinity, 2 ** 53, 1e21, Number.MAX_VALUE, Number.MIN_SAFE_INTEGER] as const;
export const CONTROL_CHARS = ['\n', '\r\n', '\t', '\u0000', '\u001b[31m', '\u007f', '\u202e'] as const;
const EMPTY_STRINGS = ['', ' ', '   '] as const;
const UNKNOWN_KEYS = ['qa', 'extra', 'typo', 'Name', 'location2', 'zoneRedundancyEnable'] as const;
const FILLS = ['a', 'Z', 'x-'] as const;

/** The raw random choices one mutation is built from; plain numbers, so fast-check can shrink them. */
export interface MutationSeed {
  readonly kind: MutationKind;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly len: number;
}

const KIND_WEIGHTS: readonly [MutationKind, number][] = [
  ['wrongType', 6], ['emptyString', 2], ['oversize', 2], ['controlChars', 2], ['badRegion', 3], ['outOfRange', 4],
  ['duplicate', 2], ['pushWrongElement', 1], ['delete', 2], ['borrow', 2], ['numberInRange', 1], ['unknownKey', 1],
];

export const mutationSeedArb = (kinds: readonly MutationKind[] = KIND_WEIGHTS.map(([k]) => k)): fc.Arbitrary<MutationSeed> =>
  fc.record({
    kind: fc.oneof(...KIND_WEIGHTS.filter(([k]) => kinds.includes(k)).map(([k, weight]) => ({ arbitrary: fc.constant(k), weight }))),
    a: fc.nat(),
    b: fc.nat(),
    c: fc.nat(),
    len: fc.integer({ min: 300, max: 3000 }),
  });

const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);

/** The concrete mutation a seed stands for on `base`, or undefined when `base` has no node the kind applies to. */
/**
 * One mutation of `base` from the seed. `closedObjects`: every object of the input has a fixed set of keys (the
 * configuration's schema), so an added unknown key must be refused; construct props stay open to extra keys.
 */
export function buildMutation(base: unknown, nodes: readonly TreeNode[], s: MutationSeed, closedObjects = false): Mutation | undefined {
  const strings = nodes.filter((n) => typeof n.value === 'string');
  const numbers = nodes.filter((n) => typeof n.value === 'number');
  const arrays = nodes.filter((n) => Array.isArray(n.value));
  const objects = [{ path: [], value: base }, ...nodes].filter((n) => kindOf(n.value) === 'object');
  switch (s.kind) {
    case 'wrongType': {
      const node = pick(nodes, s.a);
      if (!node) return undefined;
      const kinds = (Object.keys(WRONG_VALUES) as (keyof typeof WRONG_VALUES)[]).filter((k) => k !== kindOf(node.value));
      const value = pick(WRONG_VALUES[pick(kinds, s.b)!], s.c);
      return { kind: s.kind, path: node.path, value, strict: true };
    }
    case 'emptyString': {
      const node = pick(strings, s.a);
      return node && { kind: s.kind, path: node.path, value: pick(EMPTY_STRINGS, s.b), strict: nameLike(node.path) };
    }
    case 'oversize': {
      const node = pick(strings, s.a);
      if (!node) return undefined;
      const fill = pick(FILLS, s.b)!;
      const padding = fill.repeat(Math.ceil(s.len / fill.length));
      const value = s.c % 2 === 0 ? padding.slice(0, s.len) : `${node.value as string}${padding}`.slice(0, Math.max(s.len, (node.value as string).length + 300));
      return { kind: s.kind, path: node.path, value, strict: nameLike(node.path) };
    }
    case 'controlChars': {
      const node = pick(strings, s.a);
      if (!node) return undefined;
      const original = node.value as string;
      const at = s.c % (original.length + 1);
      const value = `${original.slice(0, at)}${pick(CONTROL_CHARS, s.b)}${original.slice(at)}`;
      return { kind: s.kind, path: node.path, value, strict: nameLike(node.path) };
    }
    case 'badRegion': {
      const node = pick(strings.filter((n) => isAzureRegion(n.value as string)), s.a);
      return node && { kind: s.kind, path: node.path, value: pick(BAD_REGIONS, s.b), strict: true };
    }
    case 'outOfRange': {
      const node = pick(numbers, s.a);
      return node && { kind: s.kind, path: node.path, value: pick(OUT_OF_RANGE, s.b), strict: true };
    }
    case 'numberInRange': {
      const node = pick(numbers, s.a);
      return node && { kind: s.kind, path: node.path, value: s.b % 300, strict: false };
    }
    case 'duplicate': {
      const node = pick(arrays.filter((n) => (n.value as unknown[]).length > 0), s.a);
      if (!node) return undefined;
      const list = node.value as unknown[];
      return { kind: s.kind, path: node.path, value: [...list, clone(pick(list, s.b))], strict: true };
    }
    case 'pushWrongElement': {
      const node = pick(arrays, s.a);
      if (!node) return undefined;
      const list = node.value as unknown[];
      // An empty list says nothing about its entries' kind; null and nested lists are never valid entries here.
      const kinds = list.length > 0 ? (Object.keys(WRONG_VALUES) as (keyof typeof WRONG_VALUES)[]).filter((k) => k !== kindOf(list[0])) : (['null', 'array'] as const);
      return { kind: s.kind, path: node.path, value: [...list, pick(WRONG_VALUES[pick(kinds, s.b)!], s.c)], strict: true };
    }
    case 'delete': {
      const node = pick(nodes, s.a);
      return node && { kind: s.kind, path: node.path, strict: false };
    }
    case 'borrow': {
      const node = pick(nodes.filter((n) => ['string', 'number', 'boolean'].includes(kindOf(n.value))), s.a);
      if (!node) return undefined;
      const donor = pick(nodes.filter((n) => kindOf(n.value) === kindOf(node.value) && n.value !== node.value), s.b);
      return donor && { kind: s.kind, path: node.path, value: donor.value, strict: false };
    }
    case 'unknownKey': {
      const node = pick(objects, s.a);
      if (!node) return undefined;
      const key = pick(UNKNOWN_KEYS, s.b)!;
      if (Object.prototype.hasOwnProperty.call(node.value, key)) return undefined;
      const value = pick([...WRONG_VALUES.string, ...WRONG_VALUES.number, ...WRONG_VALUES.object], s.c);
      // A free-form map (tags, labels) takes any key: only a schema object refuses one.
      return { kind: s.kind, path: [...node.path, key], value, strict: closedObjects && !insideFreeForm([...node.path, key]) };
    }
  }
}

/** Two mutations interfere when one path contains the other, or both are entries of one list (a delete would shift the other). */
function interferes(a: Path, b: Path, root: unknown): boolean {
  const n = Math.min(a.length, b.length);
  if (a.slice(0, n).every((s, i) => s === b[i])) return true;
  if (a.length === b.length && a.slice(0, -1).every((s, i) => s === b[i]) && Array.isArray(getAt(root, a.slice(0, -1)))) return true;
  return false;
}

/** Applies `mutations` to a deep copy of `base`. */
export function applyMutations<T>(base: T, mutations: readonly Mutation[]): T {
  const copy = clone(base);
  for (const m of mutations) {
    if (m.kind === 'delete') deleteAt(copy, m.path);
    else setAt(copy, m.path, clone(m.value));
  }
  return copy;
}

export interface MutatedCase<T> {
  readonly baseIndex: number;
  readonly base: T;
  readonly mutations: readonly Mutation[];
  readonly input: T;
  /** True when at least one mutation is strict: the input must be rejected. */
  readonly strict: boolean;
}

/**
 * 1-3 non-interfering mutations of one of `bases`. Each base is walked once, up front; the generated case
 * carries its own copy, so the bases are never modified.
 */
export function mutatedArb<T>(bases: readonly T[], kinds?: readonly MutationKind[], maxMutations = 3, closedObjects = false): fc.Arbitrary<MutatedCase<T>> {
  const walked = bases.map((b) => ({ base: b, nodes: nodesOf(b) }));
  return fc
    .record({ baseIndex: fc.nat({ max: bases.length - 1 }), seeds: fc.array(mutationSeedArb(kinds), { minLength: 1, maxLength: maxMutations }) })
    .map(({ baseIndex, seeds }) => {
      const { base, nodes } = walked[baseIndex];
      const mutations: Mutation[] = [];
      for (const seed of seeds) {
        const m = buildMutation(base, nodes, seed, closedObjects);
        if (m && !mutations.some((other) => interferes(other.path, m.path, base))) mutations.push(m);
      }
      return { baseIndex, base, mutations, input: applyMutations(base, mutations), strict: mutations.some((m) => m.strict) };
    })
    .filter((c) => c.mutations.length > 0);
}

export const describeMutation = (m: Mutation): string =>
  m.kind === 'delete' ? `delete ${formatPath(m.path)}` : `${formatPath(m.path)} = ${shortLiteral(m.value)} (${m.kind}${m.strict ? '' : ', may be valid'})`;

export const describeMutations = (ms: readonly Mutation[]): string => ms.map(describeMutation).join('; ');

/** The path with list indices and the given names (environment keys) generalized, to group equivalent findings. */
export function generalizePath(path: Path, names: readonly string[] = []): string {
  return formatPath(path.map((s) => (typeof s === 'number' ? 0 : names.includes(s) ? '<env>' : s))).replace(/\[0\]/g, '[i]');
}

/**
 * A deterministic sweep that complements the random cases: every node of `base` gets a wrong type, and is
 * deleted; every string is emptied, made oversize and given a control character; every region becomes a
 * non-region; every number goes out of range; every list gets a duplicate and a wrong entry. Each is one case,
 * so every field is covered whatever the random draw, and new config fields are covered as soon as they exist.
 * `wrongTypesPerNode`: how many of the other JSON kinds each node gets (all of them by default); fewer take turns,
 * node after node, so the sweep still uses every kind. `oncePerShape`: the environment names; when given, a field
 * that recurs (the same field of another environment, another list entry, another base: one generalizePath) is
 * swept at its first occurrence only.
 */
export function sweep<T>(bases: readonly T[], wrongTypesPerNode = Infinity, oncePerShape?: readonly string[]): MutatedCase<T>[] {
  const shapes = new Set<string>();
  const firstOfShape = ({ path }: TreeNode): boolean => {
    if (oncePerShape === undefined) return true;
    const shape = generalizePath(path, oncePerShape);
    if (shapes.has(shape)) return false;
    shapes.add(shape);
    return true;
  };
  return bases.flatMap((base, baseIndex) =>
    nodesOf(base).filter(firstOfShape).flatMap(({ path, value }, nodeIndex): Mutation[] => {
      const kind = kindOf(value);
      const others = (Object.keys(WRONG_VALUES) as (keyof typeof WRONG_VALUES)[]).filter((k) => k !== kind);
      const ms: Mutation[] = Array.from({ length: Math.min(wrongTypesPerNode, others.length) }, (_, i) => others[(nodeIndex + i) % others.length]).map(
        (k): Mutation => ({ kind: 'wrongType', path, value: WRONG_VALUES[k][0], strict: true }),
      );
      ms.push({ kind: 'delete', path, strict: false });
      if (typeof value === 'string') {
        ms.push(
          { kind: 'emptyString', path, value: '', strict: nameLike(path) },
          { kind: 'oversize', path, value: 'a'.repeat(300), strict: nameLike(path) },
          { kind: 'controlChars', path, value: `${value.slice(0, 1)}\n${value.slice(1)}`, strict: nameLike(path) },
        );
        if (isAzureRegion(value)) ms.push({ kind: 'badRegion', path, value: 'mars', strict: true }, { kind: 'badRegion', path, value: value.replace(/^(.)/, '$1\t'), strict: true });
      }
      if (typeof value === 'number') for (const n of [-1, 1.5, NaN, 2 ** 53]) ms.push({ kind: 'outOfRange', path, value: n, strict: true });
      if (Array.isArray(value)) {
        if (value.length > 0) ms.push({ kind: 'duplicate', path, value: [...value, clone(value[0])], strict: true });
        ms.push({ kind: 'pushWrongElement', path, value: [...value, null], strict: true });
      }
      return ms;
    }).map((m) => ({ baseIndex, base, mutations: [m], input: applyMutations(base, [m]), strict: m.strict })),
  );
}
