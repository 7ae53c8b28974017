import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { stringify } from 'yaml';
import type { PlatformConfig } from './environments';
import { FLUX_NAMESPACE } from './gitops';
import { gitopsManifests, imageConfigMapName, imageFile } from './gitops-manifests';

/** What `npm run gitops:generate` would change under `deploy/`: files to write, and generated files to remove. */
export interface GitOpsPlan {
  readonly write: ReadonlyMap<string, string>;
  readonly remove: readonly string[];
}

const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])) : []);

/**
 * The difference between `deploy/` in `root` and what the config generates. An application's image.yaml, written
 * by the app workflow, is created only where missing (with no image yet) and removed only with its application or
 * environment; every other file under deploy/ is generated, and one the config no longer produces is removed.
 */
export function planGitOps(root: string, config: PlatformConfig): GitOpsPlan {
  const wanted = gitopsManifests(config);
  const images = new Map<string, string>();
  for (const env of Object.values(config.environments)) {
    if (env.delivery !== 'gitops') continue;
    for (const app of env.applications) images.set(imageFile(env, app), placeholderImage(imageConfigMapName(app)));
  }
  const write = new Map<string, string>();
  for (const [path, content] of wanted) {
    const file = join(root, path);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== content) write.set(path, content);
  }
  for (const [path, content] of images) if (!existsSync(join(root, path))) write.set(path, content);
  const remove = walk(join(root, 'deploy')).map((f) => relative(root, f).split('\\').join('/')).filter((path) => !wanted.has(path) && !images.has(path)).sort();
  return { write, remove };
}

/** Applies a plan: writes and removes files, and removes directories left empty. */
export function applyGitOps(root: string, plan: GitOpsPlan): void {
  for (const [path, content] of plan.write) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const path of plan.remove) {
    rmSync(join(root, path));
    for (let dir = dirname(join(root, path)); dir.startsWith(join(root, 'deploy')) && existsSync(dir) && readdirSync(dir).length === 0; dir = dirname(dir)) rmSync(dir, { recursive: true });
  }
}

/** An application's image file before the app workflow's first run: no image yet, so its release waits for one. */
function placeholderImage(name: string): string {
  return [
    '# The image this environment runs, written by the app workflow (scripts/gitops.mjs set-image) after build, scan,',
    '# sign and push. No image has been recorded yet: the release installs after the first run of the app workflow.',
    stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: FLUX_NAMESPACE }, data: { 'values.yaml': '{}\n' } }),
  ].join('\n');
}
