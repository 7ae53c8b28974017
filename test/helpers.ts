import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../stacks/environments';
import { jsLiteral } from './js-literal';
import { fixtureConfig } from './fixtures/config';

/** Synthesized Terraform JSON of a stack or scope, as a plain object. */
export type TfJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  variable?: Record<string, Record<string, unknown>>;
  provider?: Record<string, Array<Record<string, unknown>>>;
  terraform?: Record<string, unknown>;
};

export function synthStack(stack: TerraformStack): TfJson {
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/**
 * The output directory of the apps synthScope makes, one per test file: Testing.synth reads the stack and writes
 * nothing, and Testing.synthScope's own app made (and left) a new temporary directory for every call.
 */
let scratchOutdir: string | undefined;

/** Synthesizes whatever `build` adds to a fresh test stack, as Testing.synthScope does. */
export function synthScope(build: (scope: Construct) => void): TfJson {
  scratchOutdir ??= mkdtempSync(join(tmpdir(), 'synth-scope-'));
  const stack = new TerraformStack(Testing.app({ outdir: scratchOutdir }), 'stack');
  build(stack);
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** What `run` returns, and what it writes to this process's stdout and stderr, which do not show it. */
export function captureOutput<T>(run: () => T): { value: T; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)),
  ];
  try {
    const value = run();
    return { value, stdout, stderr };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Every resource of `type`, keyed by logical id. */
export function resources(tf: TfJson, type: string): Record<string, Record<string, unknown>> {
  return tf.resource?.[type] ?? {};
}

/** The one resource of `type`; fails if there is not exactly one. */
export function only(tf: TfJson, type: string): Record<string, unknown> {
  const all = Object.values(resources(tf, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** The Terraform reference `${type.<logical id>.<attr>}` of the one resource of `type`. */
export function ref(tf: TfJson, type: string, attr: string): string {
  const ids = Object.keys(resources(tf, type));
  if (ids.length !== 1) throw new Error(`expected exactly one ${type}, found ${ids.length}`);
  return `\${${type}.${ids[0]}.${attr}}`;
}

/** The tests' own configuration (test/fixtures/config.ts), never the sample in stacks/environments.ts. */
export const config: PlatformConfig = fixtureConfig;

/** A deep, mutable copy of the tests' configuration, for tests that change or break it on purpose. */
export function configCopy(): DeepMutable<PlatformConfig> {
  return structuredClone(fixtureConfig) as DeepMutable<PlatformConfig>;
}

export type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;

/** Runs `fn` and returns the message it throws; fails if it does not throw. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

/** The project root. */
export const ROOT = join(__dirname, '..');

/**
 * Makes the app copy in `dir` (see copyApp) use `cfg` as its configuration: stacks/environments.ts keeps every other
 * export, and its `config` becomes `cfg`, as if a user had written it there.
 */
export function useConfig(dir: string, cfg: unknown): void {
  const file = join(dir, 'stacks', 'environments.ts');
  const source = readFileSync(join(ROOT, 'stacks', 'environments.ts'), 'utf8');
  const declaration = /export const config\b(\s*:\s*[\w.<>]+)?\s*=/;
  if (!declaration.test(source)) throw new Error('stacks/environments.ts no longer declares `export const config ... =`; update useConfig');
  // The given config takes the declaration's place; the shipped literal that follows becomes an unused constant.
  writeFileSync(file, source.replace(declaration, `export const config: PlatformConfig = (${jsLiteral(cfg)}) as unknown as PlatformConfig;\nconst shippedConfig$1 =`));
}

/**
 * How `cdktf synth` runs the app (cdktf.json "app"), as arguments to this Node: `spawn(process.execPath, APP_ARGS,
 * { cwd })` synthesizes the project, or a copyApp copy, as a user's synth does.
 */
export const APP_ARGS: readonly string[] = (() => {
  const [program, ...args] = (JSON.parse(readFileSync(join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app.split(/\s+/);
  if (program !== 'node') throw new Error(`cdktf.json's app must start with node; APP_ARGS cannot run: ${program}`);
  return args;
})();

/**
 * A temporary copy of what `main.ts` needs to synthesize (sources, chart, package.json, cdktf.json and the app's
 * loader) with this project's node_modules linked in, for tests that run the app as a user would, on an edited copy.
 *
 * What tests edit is copied: main.ts, cdktf.json and stacks/environments.ts (useConfig). The other sources, the
 * chart and node_modules are links to this project's. Node loads a linked module under its real path, so tsx's
 * transform cache, which is keyed by path, already holds them: only the copied files are compiled again.
 */
export function copyApp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of ['main.ts', 'package.json', 'cdktf.json', 'scripts/app-loader.cjs', 'stacks/environments.ts']) cpSync(join(ROOT, entry), join(dir, entry));
  for (const entry of ['constructs', 'charts', 'node_modules']) symlinkSync(join(ROOT, entry), join(dir, entry), 'dir');
  for (const entry of readdirSync(join(ROOT, 'stacks'))) if (entry !== 'environments.ts') symlinkSync(join(ROOT, 'stacks', entry), join(dir, 'stacks', entry));
  return dir;
}

/**
 * Every stack of the app for `cfg`, built and synthesized in this process as main.ts does it (App.synth into
 * `outdir`: manifest.json, stacks/<name>/cdk.tf.json and the assets).
 */
export function synthesizeApp(cfg: PlatformConfig, outdir: string): void {
  // Loaded here, not at the top: a file that only reads a synthesized app does not load the stacks.
  const { buildStacks } = require('../stacks/app') as typeof import('../stacks/app');
  const app = new App({ outdir, stackTraces: false });
  buildStacks(app, cfg);
  app.synth();
}

/**
 * The app main.ts builds from the tests' configuration (`fixture`) or the shipped one (`shipped`,
 * stacks/environments.ts), synthesized as `cdktf synth` synthesizes it (App.synth into a directory: manifest.json and
 * stacks/<name>/cdk.tf.json), once per jest run: the first test file to ask synthesizes it under the run's temporary
 * directory, and the others read the same files. Read-only: a test that changes files works on a copy.
 */
export function synthesizedApp(which: 'fixture' | 'shipped'): string {
  // Only a run's own directory, which the run removes, may hold it: elsewhere it would outlive the code it came from.
  const runDir = process.env.JEST_RUN_TMPDIR;
  if (runDir === undefined) throw new Error("synthesizedApp needs the run's temporary directory, which jest's global setup makes (test/temp-dir.cjs)");
  const dir = join(runDir, `synthesized-${which}`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const cfg = which === 'fixture' ? fixtureConfig : (require('../stacks/environments') as typeof import('../stacks/environments')).config;
  const building = mkdtempSync(`${dir}-`);
  synthesizeApp(cfg, building);
  try {
    // Another worker may have finished first: its directory stays, this one goes.
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Every stack of the app synthesized into `outdir` (App.synth: stacks/<name>/cdk.tf.json) by name, as the app
 * synthesizes it (with the outputs and remote state its cross-stack references add), parsed, and without cdktf's
 * "//" metadata, as synthStack gives a stack.
 */
export function appStacks(outdir: string): Record<string, TfJson> {
  const dir = join(outdir, 'stacks');
  const withoutMetadata = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(withoutMetadata);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== '//').map(([key, v]) => [key, withoutMetadata(v)]));
  };
  return Object.fromEntries(readdirSync(dir).map((name) => [name, withoutMetadata(JSON.parse(readFileSync(join(dir, name, 'cdk.tf.json'), 'utf8'))) as TfJson]));
}

/** Every stack of synthesizedApp(which) by name (appStacks). */
export function synthesizedStacks(which: 'fixture' | 'shipped'): Record<string, TfJson> {
  return appStacks(synthesizedApp(which));
}
