/**
 * Issue 12 item 7: the kit as another cdktf project gets it. A consumer program imports an existing registry,
 * creates a cluster, attaches the registry, grants one role twice and releases the kit's chart, using only the
 * package's public exports by the package's name.
 *
 * `npm test` runs it in-process (about a second): the program, compiled as it is written, runs against the
 * package's entry point (constructs/index.ts, which tsconfig.build.json compiles to the dist/constructs/index.js
 * that package.json exports), with its chart found by Node's resolution of the package's own "exports"; and the
 * package's exports, typesVersions and files are checked to name that build output. library.test.ts builds dist/
 * and loads it under plain node.
 *
 * DEEP_TESTS=1 (set by .ci/run) runs the round trip, ~20 s: it packs the kit (`npm pack`, whose prepack builds
 * dist/), installs the tarball into a throwaway project whose own @cdktf/provider-azurerm is one minor version
 * older than the kit's pin, type-checks the program with that project's TypeScript and the cdktf template's
 * compiler options, synthesizes it with plain node, and compares it with the kit's own pins. npm installs from the
 * machine's cache when it can (--prefer-offline); the first run downloads the older provider once. It is skipped,
 * with a message saying why, only when the npm registry cannot be reached.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';

const ROOT = join(__dirname, '..');
const kit = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions: Record<string, Record<string, string[]>>;
  files: string[];
};
const PROVIDER = '@cdktf/provider-azurerm';
const PEERS = Object.keys(kit.peerDependencies);

/** One minor version before the kit's pin: 14.23.1 -> 14.22.0 (provider-azurerm 14.22 bundles azurerm 4.54, 14.23 azurerm 4.55). */
const [major, minor] = kit.devDependencies[PROVIDER].split('.').map(Number);
const CONSUMER_PROVIDER = `${major}.${minor - 1}.0`;
/** The oldest TypeScript the README promises; the kit itself builds with its devDependency (5.9). */
const CONSUMER_TYPESCRIPT = '5.0.4';

const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
const npm = (args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> =>
  spawnSync('npm', [...args], { cwd, encoding: 'utf8', timeout, env: { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_update_notifier: 'false' } });

const DEEP = process.env.DEEP_TESTS === '1';
/** The round trip: in the deep run, unless the registry is unreachable (no network); every other failure fails it. */
function roundTrip(): typeof test {
  if (!DEEP) return test.skip;
  const probe = npm(['view', `${PROVIDER}@${CONSUMER_PROVIDER}`, 'version', '--prefer-online'], ROOT, 60_000);
  if (probe.status === 0 && probe.stdout.trim() === CONSUMER_PROVIDER) return test;
  console.warn(`consumer test SKIPPED: the npm registry did not answer \`npm view ${PROVIDER}@${CONSUMER_PROVIDER} version\`:\n${probe.stderr || probe.error?.message}`);
  return test.skip;
}

/** The consumer's program, written as a user of the package would: only public exports, only the package name. */
const PROGRAM = `
import { dirname } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { AppRelease, ContainerRegistry, IContainerRegistry, IPrincipal, KubernetesCluster } from 'azure-container-platform/constructs';

const app = new App({ outdir: process.argv[2] });
const stack = new TerraformStack(app, 'consumer');
new AzurermProvider(stack, 'azurerm', { features: [{}] });
new HelmProvider(stack, 'helm', {});

// A registry another team runs: looked up, not created.
const registry: IContainerRegistry = ContainerRegistry.fromExisting(stack, 'shared-registry', { name: 'acrshared01', resourceGroupName: 'rg-shared' });

const cluster = new KubernetesCluster(stack, 'cluster', {
  name: 'aks-consumer', resourceGroupName: 'rg-consumer', location: 'westeurope',
  systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 1, maxCount: 3 },
  adminGroupObjectIds: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
});
const attached = cluster.attachRegistry(registry);

const ci = new UserAssignedIdentity(stack, 'ci', { name: 'id-ci', resourceGroupName: 'rg-consumer', location: 'westeurope' });
const pusher: IPrincipal = { principalId: ci.principalId, principalType: 'ServicePrincipal' };
const first = registry.grantPush(pusher);
const second = registry.grantPush(pusher);

// The kit's chart, reached through the package's ./charts/* export.
new AppRelease(stack, 'app', {
  chartPath: dirname(require.resolve('azure-container-platform/charts/ai-app/Chart.yaml')),
  releaseName: 'ai-app', namespace: 'ai-app',
  image: { repository: 'acrshared01.azurecr.io/ai-app', tag: '3f2c1ab' },
});

app.synth();
console.log(JSON.stringify({ sameGrant: first === second, attachedIsPull: attached !== first }));
`;

/** tsconfig.json of \`cdktf init --template=typescript\` (0.21), the project a cdktf user starts from. */
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true, declaration: true, experimentalDecorators: true, inlineSourceMap: true, inlineSources: true,
    lib: ['es2018'], module: 'CommonJS', noEmitOnError: true, noFallthroughCasesInSwitch: true, noImplicitAny: true,
    noImplicitReturns: true, noImplicitThis: true, noUnusedLocals: true, noUnusedParameters: true, resolveJsonModule: true,
    strict: true, strictNullChecks: true, strictPropertyInitialization: true, stripInternal: true, target: 'ES2018',
    skipLibCheck: true, types: ['node'],
  },
  include: ['main.ts'],
};

type TfJson = {
  terraform: { required_providers: Record<string, { version: string }> };
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
};

/** What the program prints, and what it synthesized into `out`. */
interface Synthesized {
  readonly report: { sameGrant: boolean; attachedIsPull: boolean };
  readonly out: string;
  readonly tf: TfJson;
}

/** What the program must have synthesized, however it was built and run. */
function expectConsumerStack({ report, out, tf }: Synthesized): void {
  // The same grant twice is one role assignment, returned both times.
  expect(report).toEqual({ sameGrant: true, attachedIsPull: true });

  // The registry is a data source; AcrPull for the kubelet identity scoped to the data source's id; one AcrPush.
  const registries = Object.keys(tf.data?.azurerm_container_registry ?? {});
  expect(registries).toHaveLength(1);
  expect(tf.data!.azurerm_container_registry[registries[0]]).toMatchObject({ name: 'acrshared01', resource_group_name: 'rg-shared' });
  expect(tf.resource.azurerm_container_registry).toBeUndefined();
  const [clusterKey] = Object.keys(tf.resource.azurerm_kubernetes_cluster);
  const assignments = Object.values(tf.resource.azurerm_role_assignment);
  const registryId = `\${data.azurerm_container_registry.${registries[0]}.id}`;
  expect(assignments.filter((a) => a.role_definition_name === 'AcrPull')).toEqual([
    expect.objectContaining({ scope: registryId, principal_id: `\${azurerm_kubernetes_cluster.${clusterKey}.kubelet_identity[0].object_id}`, principal_type: 'ServicePrincipal' }),
  ]);
  const [identityKey] = Object.keys(tf.resource.azurerm_user_assigned_identity);
  expect(assignments.filter((a) => a.role_definition_name === 'AcrPush')).toEqual([
    expect.objectContaining({ scope: registryId, principal_id: `\${azurerm_user_assigned_identity.${identityKey}.principal_id}` }),
  ]);

  // The chart reached through the package export is copied into the synthesized stack.
  const release = Object.values(tf.resource.helm_release)[0] as { chart: string };
  expect(existsSync(join(out, 'stacks', 'consumer', release.chart, 'Chart.yaml'))).toBe(true);
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ok = (run: SpawnSyncReturns<string>, what: string) => {
  if (run.status !== 0) throw new Error(`${what} failed (${run.status ?? run.error?.message}):\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
};

/** Every package.json of `name` anywhere under node_modules, relative to `root`. */
function copiesOf(root: string, name: string): string[] {
  const found: string[] = [];
  const walk = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      const names = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const pkg of names) {
        const dir = join(nodeModules, pkg);
        if (pkg === name && existsSync(join(dir, 'package.json'))) found.push(dir.slice(root.length + 1));
        walk(join(dir, 'node_modules'));
      }
    }
  };
  walk(join(root, 'node_modules'));
  return found;
}

describe('in-process: the program against the package entry point', () => {
  test('package.json exports, typesVersions and files name what tsconfig.build.json builds from constructs/index.ts', () => {
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: Record<string, unknown>; include: string[] };
    expect(build.include).toEqual(['constructs/**/*.ts']);
    expect(build.compilerOptions).toMatchObject({ rootDir: '.', outDir: 'dist', declaration: true });
    expect(kit.exports['./constructs']).toEqual({ types: './dist/constructs/index.d.ts', default: './dist/constructs/index.js' });
    expect(kit.typesVersions['*'].constructs).toEqual(['dist/constructs/index.d.ts']);
    expect(kit.exports['./charts/*']).toBe('./charts/*');
    expect(kit.files).toEqual(expect.arrayContaining(['dist/constructs', 'charts']));
    expect(existsSync(join(ROOT, 'constructs', 'index.ts'))).toBe(true);
  });

  test('imports a registry, attaches it, grants one role twice and releases the chart from the package export', () => {
    const out = mkdtempSync(join(tmpdir(), 'consumer-'));
    dirs.push(out);
    // The package's own resolution (a self-reference through "exports"), as the consumer's require resolves it.
    const resolvePackage = createRequire(join(ROOT, 'package.json')).resolve;
    expect(resolvePackage(`${kit.name}/charts/ai-app/Chart.yaml`)).toBe(join(ROOT, 'charts', 'ai-app', 'Chart.yaml'));
    const consumerRequire = Object.assign((id: string): unknown => (id === `${kit.name}/constructs` ? require('../constructs') : require(id)), { resolve: resolvePackage });
    const printed: string[] = [];
    const { code } = transformSync(PROGRAM, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    new Function('require', 'exports', 'process', 'console', code)(consumerRequire, {}, { argv: ['node', 'main.js', out] }, { log: (line: string) => printed.push(line) });
    expectConsumerStack({ report: JSON.parse(printed.join('\n')) as Synthesized['report'], out, tf: JSON.parse(readFileSync(join(out, 'stacks', 'consumer', 'cdk.tf.json'), 'utf8')) as TfJson });
  });
});

roundTrip()(`${DEEP ? '' : '(DEEP_TESTS=1) '}a cdktf project one provider minor behind installs the packed kit with one copy of each peer, imports a registry and synthesizes`, () => {
  const work = mkdtempSync(join(tmpdir(), 'consumer-'));
  dirs.push(work);

  // 1. Pack a copy of the working tree, so the build writes its own dist/ (other tests build the repository's).
  const kitCopy = join(work, 'kit');
  const skip = new Set(['node_modules', '.git', 'dist', 'cdktf.out', '.cache', 'coverage', 'docs']);
  cpSync(ROOT, kitCopy, { recursive: true, filter: (src) => !(src.startsWith(ROOT + '/') && skip.has(src.slice(ROOT.length + 1).split('/')[0])) });
  symlinkSync(join(ROOT, 'node_modules'), join(kitCopy, 'node_modules'), 'dir');
  mkdirSync(join(work, 'packed'));
  const [packed] = JSON.parse(ok(npm(['pack', '--json', '--pack-destination', join(work, 'packed'), '--loglevel=error'], kitCopy), 'npm pack')) as [{ filename: string; files: { path: string }[] }];
  const files = packed.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'dist/constructs/index.js', 'dist/constructs/index.d.ts', 'charts/ai-app/Chart.yaml']));
  // Compiled constructs and the chart only: no TypeScript sources, stacks, tests or tooling.
  for (const f of files) expect(f).toMatch(/^(package\.json|README\.md|CHANGELOG\.md|dist\/constructs\/[\w.-]+\.(js|d\.ts|js\.map)|charts\/(ai-app|image-policy)\/.+)$/);

  // 2. The consumer: its own provider-azurerm one minor older, the kit's pins for the other peers.
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const dependencies: Record<string, string> = Object.fromEntries(PEERS.map((p) => [p, kit.devDependencies[p]]));
  dependencies[PROVIDER] = CONSUMER_PROVIDER;
  Object.assign(dependencies, {
    [kit.name]: `file:${join(work, 'packed', packed.filename)}`,
    typescript: CONSUMER_TYPESCRIPT,
    '@types/node': kit.devDependencies['@types/node'],
  });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, dependencies }, null, 2));
  // npm refuses (ERESOLVE) if a version here is outside the kit's peer ranges.
  ok(npm(['install', ...NPM_FLAGS], consumer), 'npm install in the consumer');

  // No second copy of cdktf, constructs or a provider: each exactly once, at the top level, at the consumer's version.
  for (const name of [...PEERS].sort()) {
    expect({ name, copies: copiesOf(consumer, name) }).toEqual({ name, copies: [`node_modules/${name}`] });
  }
  const installed = (name: string) => (JSON.parse(readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  expect(installed(PROVIDER)).toBe(CONSUMER_PROVIDER);

  // 3. Type-check and compile the program as the consumer would, then synthesize it.
  writeFileSync(join(consumer, 'main.ts'), PROGRAM);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  const tsc = (...args: string[]) => ok(spawnSync(process.execPath, [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', '.', ...args], { cwd: consumer, encoding: 'utf8' }), `tsc ${CONSUMER_TYPESCRIPT} ${args.join(' ')} in the consumer`);
  tsc('--noEmit', '--module', 'node16', '--moduleResolution', 'node16'); // types through package.json "exports"
  tsc(); // the template's moduleResolution node: types through "typesVersions"; emits main.js
  const synth = (dir: string): Synthesized => {
    const out = join(dir, 'cdktf.out');
    const run = ok(spawnSync(process.execPath, [join(dir, 'main.js'), out], { cwd: dir, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } }), `node main.js in ${dir}`);
    return { report: JSON.parse(run) as Synthesized['report'], out, tf: JSON.parse(readFileSync(join(out, 'stacks', 'consumer', 'cdk.tf.json'), 'utf8')) as TfJson };
  };
  const synthesized = synth(consumer);
  expectConsumerStack(synthesized);
  const { tf } = synthesized;

  // The consumer's provider decides the azurerm version...
  const azurerm = tf.terraform.required_providers.azurerm.version;
  // ...and nothing the kit sets is lost with the older provider: the same program synthesized with the kit's own
  // pins (the packed copy, whose node_modules are the repository's) gives the same resources and data sources.
  cpSync(join(consumer, 'main.js'), join(kitCopy, 'main.js'));
  const pinned = synth(kitCopy).tf;
  const bundled = (dir: string) => /providerVersion: '([^']+)'/.exec(readFileSync(join(dir, 'node_modules', PROVIDER, 'lib/provider/index.js'), 'utf8'))![1];
  expect({ azurerm, pinned: pinned.terraform.required_providers.azurerm.version }).toEqual({ azurerm: bundled(consumer), pinned: bundled(ROOT) });
  expect(azurerm).not.toBe(pinned.terraform.required_providers.azurerm.version);
  expect(tf.resource).toEqual(pinned.resource);
  expect(tf.data).toEqual(pinned.data);
}, 600_000);
