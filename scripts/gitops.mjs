#!/usr/bin/env node
// What the workflows do to deploy/<env> in GitOps environments. Plain Node (and the `yaml` dependency), no build.
//
//   node scripts/gitops.mjs set-image --env staging --app ai-app --tag <git sha> --digest sha256:<64 hex>
//       records the image the app workflow built, scanned, signed and pushed (deploy/<env>/apps/<app>/image.yaml)
//   node scripts/gitops.mjs promote --from staging --to prod --app ai-app
//       copies exactly the tag and digest the source environment runs; prints them as tag=... and digest=...
//   node scripts/gitops.mjs stage --env staging --out <dir>
//       copies what Flux reads (deploy/<env> and charts/) into <dir>, the tree published to the blob container
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

// The repository root; GITOPS_ROOT points the tests at a copy.
const ROOT = process.env.GITOPS_ROOT ? resolve(process.env.GITOPS_ROOT) : resolve(import.meta.dirname, '..');
const FLUX_NAMESPACE = 'flux-system';
/** As constructs/names.ts IMAGE_TAG and IMAGE_DIGEST (test/gitops-manifests.test.ts keeps them equal). */
export const TAG = /^(?![Ll][Aa][Tt][Ee][Ss][Tt]$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

class UsageError extends Error {}

function options(args, names) {
  const out = {};
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '');
    if (!names.includes(key) || args[i + 1] === undefined) throw new UsageError(`unexpected argument ${JSON.stringify(args[i])}; expected ${names.map((n) => `--${n} <value>`).join(' ')}`);
    out[key] = args[i + 1];
  }
  for (const name of names) if (out[name] === undefined) throw new UsageError(`--${name} is required`);
  for (const name of ['env', 'from', 'to', 'app']) if (out[name] !== undefined && !NAME.test(out[name])) throw new UsageError(`--${name} ${JSON.stringify(out[name])} is not an environment or application name`);
  return out;
}

const imagePath = (root, env, app) => join(root, 'deploy', env, 'apps', app, 'image.yaml');

/** The tag and digest an environment runs, from its image.yaml; fails when none is recorded. */
export function readImage(root, env, app) {
  const file = imagePath(root, env, app);
  if (!existsSync(file)) throw new UsageError(`${file} does not exist: is ${env} a GitOps environment with application ${app}? (npm run gitops:generate)`);
  const values = parse(parse(readFileSync(file, 'utf8'))?.data?.['values.yaml'] ?? '') ?? {};
  const { tag, digest } = values.image ?? {};
  if (!TAG.test(String(tag)) || !DIGEST.test(String(digest))) throw new UsageError(`${file} records no image yet (tag ${JSON.stringify(tag)}, digest ${JSON.stringify(digest)})`);
  return { tag, digest };
}

/** Writes an environment's image.yaml: the ConfigMap its HelmRelease reads `image.tag` and `image.digest` from. */
export function writeImage(root, env, app, { tag, digest }) {
  if (!TAG.test(tag)) throw new UsageError(`tag ${JSON.stringify(tag)} is not allowed: an immutable tag such as the git SHA (1-128 letters, digits, _ . -), never latest`);
  if (!DIGEST.test(digest)) throw new UsageError(`digest ${JSON.stringify(digest)} is not allowed: sha256: and 64 lowercase hex digits`);
  const file = imagePath(root, env, app);
  if (!existsSync(dirname(file))) throw new UsageError(`${dirname(file)} does not exist: is ${env} a GitOps environment with application ${app}? (npm run gitops:generate)`);
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${app}-image`, namespace: FLUX_NAMESPACE }, data: { 'values.yaml': stringify({ image: { tag, digest } }) } };
  writeFileSync(file, `# The image ${env} runs, written by the app workflow (scripts/gitops.mjs) after build, scan, sign and push.\n${stringify(configMap)}`);
  return file;
}

/** Copies what Flux reads into `out`: deploy/<env> and the charts its HelmReleases install. */
export function stage(root, env, out) {
  if (!existsSync(join(root, 'deploy', env))) throw new UsageError(`deploy/${env} does not exist: is ${env} a GitOps environment? (npm run gitops:generate)`);
  mkdirSync(join(out, 'deploy'), { recursive: true });
  cpSync(join(root, 'deploy', env), join(out, 'deploy', env), { recursive: true });
  cpSync(join(root, 'charts'), join(out, 'charts'), { recursive: true });
}

function main([command, ...args]) {
  switch (command) {
    case 'set-image': {
      const o = options(args, ['env', 'app', 'tag', 'digest']);
      console.log(`wrote ${writeImage(ROOT, o.env, o.app, o)}`);
      return;
    }
    case 'promote': {
      const o = options(args, ['from', 'to', 'app']);
      const image = readImage(ROOT, o.from, o.app);
      writeImage(ROOT, o.to, o.app, image);
      console.log(`tag=${image.tag}\ndigest=${image.digest}`);
      return;
    }
    case 'stage': {
      const o = options(args, ['env', 'out']);
      stage(ROOT, o.env, resolve(o.out));
      console.log(`staged deploy/${o.env} and charts/ in ${resolve(o.out)}`);
      return;
    }
    case 'patterns':
      // For the tests: the tag and digest rules, to compare with the constructs'.
      console.log(JSON.stringify({ tag: TAG.source, digest: DIGEST.source }));
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}: set-image, promote or stage`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`gitops: ${error.message}`);
    process.exit(1);
  }
}
