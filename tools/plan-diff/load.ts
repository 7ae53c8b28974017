/** Reads a synthesized `cdktf.out` directory into {@link SynthOutput}. */
import * as fs from 'fs';
import * as path from 'path';
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import type { MovedBlock, ResourceConfig, StackConfig, SynthOutput } from './model';

export class InputError extends Error {}

/** Removes every `//` key (cdktf metadata and comments) at any depth. */
export function stripMetadata(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key !== '//') result[key] = stripMetadata(child);
  }
  return result;
}

function metadataPath(resource: JsonObject): string | undefined {
  const meta = resource['//'];
  if (!isJsonObject(meta) || !isJsonObject(meta.metadata)) return undefined;
  const p = meta.metadata.path;
  return typeof p === 'string' ? p : undefined;
}

/** `platform-prod/registry/resource` in stack `platform-prod` → `registry/resource`. */
export function relativeConstructPath(stack: string, fullPath: string | undefined): string {
  if (fullPath === undefined) return '';
  return fullPath.startsWith(`${stack}/`) ? fullPath.slice(stack.length + 1) : fullPath;
}

function parseMoved(value: JsonValue | undefined): MovedBlock[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) =>
    isJsonObject(entry) && typeof entry.from === 'string' && typeof entry.to === 'string'
      ? [{ from: entry.from, to: entry.to }]
      : [],
  );
}

/** Parses one `cdk.tf.json` document (pure). */
export function parseStack(name: string, document: JsonValue): StackConfig {
  if (!isJsonObject(document)) throw new InputError(`stack ${name}: cdk.tf.json is not a JSON object`);
  const resources = new Map<string, ResourceConfig>();
  const byType = document.resource;
  if (byType !== undefined && !isJsonObject(byType)) throw new InputError(`stack ${name}: "resource" is not an object`);
  for (const [type, byName] of Object.entries(byType ?? {})) {
    if (!isJsonObject(byName)) continue;
    for (const [resourceName, body] of Object.entries(byName)) {
      if (!isJsonObject(body)) continue;
      const stripped = stripMetadata(body);
      const address = `${type}.${resourceName}`;
      resources.set(address, {
        type,
        name: resourceName,
        address,
        constructPath: relativeConstructPath(name, metadataPath(body)),
        attributes: isJsonObject(stripped) ? stripped : {},
      });
    }
  }
  return { name, resources, moved: parseMoved(document.moved) };
}

function readJson(file: string): JsonValue {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new InputError(`${file}: invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Accepts a `cdktf.out` directory (with `stacks/`) or its `stacks` directory itself. */
export function stacksDirectory(outDir: string): string {
  const nested = path.join(outDir, 'stacks');
  return fs.existsSync(nested) ? nested : outDir;
}

/** Reads `<outDir>/stacks/<stack>/cdk.tf.json` for every stack; a missing `stacks` dir means no stacks. */
export function loadSynthOutput(outDir: string): SynthOutput {
  if (!fs.existsSync(outDir) || !fs.statSync(outDir).isDirectory()) {
    throw new InputError(`not a directory: ${outDir}`);
  }
  const dir = stacksDirectory(outDir);
  const stacks = new Map<string, StackConfig>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, entry.name, 'cdk.tf.json');
    if (entry.isDirectory() && fs.existsSync(file)) {
      stacks.set(entry.name, parseStack(entry.name, readJson(file)));
    }
  }
  return stacks;
}
