/**
 * Reads environment protection from the project's `stacks/environments.ts`
 * (`export const config = { environments: { <env>: { protected: boolean } } }`).
 * Loaded lazily by the CLI only, so the diff core and its tests never depend on the project config.
 */
import * as fs from 'fs';
import * as path from 'path';

export const ENVIRONMENTS_MODULE = path.join('stacks', 'environments.ts');

/** Environments protected when the configuration cannot be read ("prod is protected by default"). */
export const FALLBACK_PROTECTION: Readonly<Record<string, boolean>> = { prod: true };

export type ProtectionLoad =
  | { readonly ok: true; readonly protection: Readonly<Record<string, boolean>> }
  | { readonly ok: false; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Extracts `{ env: protected }` from the module exports; an environment without a boolean `protected` is protected only if it is `prod`. */
export function protectionFromModule(moduleExports: unknown): ProtectionLoad {
  const direct = isRecord(moduleExports) ? moduleExports.config : undefined;
  const viaDefault = isRecord(moduleExports) && isRecord(moduleExports.default) ? moduleExports.default.config : undefined;
  const config = direct ?? viaDefault;
  if (!isRecord(config)) return { ok: false, reason: `${ENVIRONMENTS_MODULE} does not export \`config\`` };
  const environments = config.environments;
  if (!isRecord(environments)) return { ok: false, reason: `${ENVIRONMENTS_MODULE}: \`config.environments\` is not an object` };
  const protection: Record<string, boolean> = {};
  for (const [env, settings] of Object.entries(environments)) {
    const flag = isRecord(settings) ? settings.protected : undefined;
    protection[env] = typeof flag === 'boolean' ? flag : env === 'prod';
  }
  return { ok: true, protection };
}

export async function loadEnvironmentProtection(projectDir: string): Promise<ProtectionLoad> {
  const file = path.resolve(projectDir, ENVIRONMENTS_MODULE);
  if (!fs.existsSync(file)) return { ok: false, reason: `${ENVIRONMENTS_MODULE} not found` };
  try {
    const moduleExports: unknown = await import(file);
    return protectionFromModule(moduleExports);
  } catch (error) {
    return { ok: false, reason: `${ENVIRONMENTS_MODULE} could not be loaded: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Protected in either configuration wins: a change cannot lift its own protection. */
export function mergeProtection(...sources: ReadonlyArray<Readonly<Record<string, boolean>>>): Record<string, boolean> {
  const merged: Record<string, boolean> = {};
  for (const source of sources) for (const [env, flag] of Object.entries(source)) merged[env] = (merged[env] ?? false) || flag;
  return merged;
}
