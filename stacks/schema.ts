import { closest, describe } from '../constructs/validation';

/**
 * A small schema language for the configuration: one declaration gives both the TypeScript type (`Infer<typeof s>`)
 * and the run-time check of its shape. The shape check reports unknown keys (with the closest known key), missing
 * required fields and values of the wrong kind, each under its config path. What a value may be beyond its kind
 * (a name pattern, a range, a rule across fields) belongs to the construct validators and to config validation, so
 * each rule has one owner.
 */
export interface Schema<T> {
  /** Phantom: carries the type for `Infer`. */
  readonly type?: T;
  /** True when the field may be left out. */
  readonly optional: boolean;
  /** What the value must be, for messages: `a string`, `true or false`, `one of "A", "B"`. */
  readonly expected: string;
  /** Adds a problem per shape mismatch, each prefixed with `path`; true when the value has the right kind. */
  check(value: unknown, path: string, problems: string[]): boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjectOf<S extends Shape> = Flatten<{ readonly [K in RequiredKeys<S>]: Infer<S[K]> } & { readonly [K in OptionalKeys<S>]?: Infer<S[K]> }>;

/** `path.key` for a plain key, `path["odd key"]` otherwise. */
export function fieldPath(path: string, key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function leaf<T>(expected: string, test: (value: unknown) => boolean): Schema<T> {
  return {
    optional: false,
    expected,
    check(value, path, problems) {
      if (test(value)) return true;
      problems.push(`${path}: must be ${expected}, got ${describe(value)}`);
      return false;
    },
  };
}

export const string = (): Schema<string> => leaf('a string', (v) => typeof v === 'string');
export const number = (): Schema<number> => leaf('a number', (v) => typeof v === 'number' && Number.isFinite(v));
export const boolean = (): Schema<boolean> => leaf('true or false', (v) => typeof v === 'boolean');

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return leaf(`one of ${values.map((v) => `"${v}"`).join(', ')}`, (v) => typeof v === 'string' && (values as readonly string[]).includes(v));
}

/** The field may be left out (the construct's documented default applies). */
export function optional<T>(schema: Schema<T>): Schema<T> & { readonly optional: true } {
  return { ...schema, optional: true, check: (value, path, problems) => value === undefined || schema.check(value, path, problems) };
}

/** A list whose every entry matches `item`. */
export function list<T>(item: Schema<T>): Schema<readonly T[]> {
  return {
    optional: false,
    expected: `a list of ${item.expected}`,
    check(value, path, problems) {
      if (!Array.isArray(value)) {
        problems.push(`${path}: must be a list, got ${describe(value)}`);
        return false;
      }
      return value.map((v, i) => item.check(v, `${path}[${i}]`, problems)).every(Boolean);
    },
  };
}

/** An object with exactly these fields: a key not listed is refused, with the closest known key as a suggestion. */
export function object<const S extends Shape>(shape: S): Schema<ObjectOf<S>> & { readonly shape: S } {
  const keys = Object.keys(shape);
  return {
    optional: false,
    expected: 'an object',
    shape,
    check(value, path, problems) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${path}: must be an object, got ${describe(value)}`);
        return false;
      }
      const record = value as Record<string, unknown>;
      let ok = true;
      for (const key of Object.keys(record)) {
        if (keys.includes(key)) continue;
        const near = closest(key, keys);
        problems.push(`${path}.${key}: unknown field${near ? ` (did you mean ${near}?)` : ''}; allowed: ${keys.join(', ')}`);
        ok = false;
      }
      for (const key of keys) {
        const field = shape[key];
        if (record[key] === undefined && !field.optional) {
          problems.push(`${path}.${key}: missing; it is required (${field.expected})`);
          ok = false;
        } else if (!field.check(record[key], `${path}.${key}`, problems)) {
          ok = false;
        }
      }
      return ok;
    },
  };
}

/** An object of free-form string keys, each value matching `item` (Azure tags, node labels). */
export function record<T>(item: Schema<T>): Schema<Readonly<Record<string, T>>> {
  return {
    optional: false,
    expected: `an object of ${item.expected}`,
    check(value, path, problems) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${path}: must be an object, got ${describe(value)}`);
        return false;
      }
      return Object.entries(value).map(([k, v]) => item.check(v, fieldPath(path, k), problems)).every(Boolean);
    },
  };
}

/**
 * Either of two shapes, told apart by kind: a string (one of `literals`) or an object. For fields like
 * `branchPolicy: 'protected' | { branches: [...] }`.
 */
export function literalOrObject<const L extends string, O>(literals: readonly L[], obj: Schema<O>): Schema<L | O> {
  const literal = oneOf(literals);
  return {
    optional: false,
    expected: `${literal.expected}, or ${obj.expected}`,
    check(value, path, problems) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return obj.check(value, path, problems);
      if (literal.check(value, path, [])) return true;
      problems.push(`${path}: must be ${literal.expected.replace(/^one of /, '')} or an object, got ${describe(value)}`);
      return false;
    },
  };
}
