import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureOutput } from './helpers';

const ROOT = join(__dirname, '..');

// What another cdktf project gets: the package's compiled `./constructs` export, loaded by plain Node with no TypeScript loader.
const consumer = `
const { App, TerraformStack } = require('cdktf');
const { AzurermProvider } = require('@cdktf/provider-azurerm/lib/provider');
const { ContainerRegistry, KubernetesCluster, ValidationError } = require('azure-container-platform/constructs');
const app = new App({ outdir: process.argv[1] });
const stack = new TerraformStack(app, 'consumer');
new AzurermProvider(stack, 'azurerm', { features: [{}] });
const registry = new ContainerRegistry(stack, 'registry', { name: 'acrconsumer01', resourceGroupName: 'rg', location: 'westeurope' });
const cluster = new KubernetesCluster(stack, 'cluster', {
  name: 'aks-consumer', resourceGroupName: 'rg', location: 'westeurope',
  systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 1, maxCount: 3 },
  adminGroupObjectIds: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
});
cluster.attachRegistry(registry);
let refused = '';
try { new ContainerRegistry(stack, 'bad', { name: 'no', resourceGroupName: 'rg', location: 'westeurope' }); } catch (e) { refused = e instanceof ValidationError ? e.problems.map((p) => p.field + ': ' + p.message).join() : 'wrong error'; }
stack.node.tryRemoveChild('bad');
app.synth();
console.log(JSON.stringify({ refused, json: require('node:fs').readFileSync(process.argv[1] + '/stacks/consumer/cdk.tf.json', 'utf8') }));
`;

/**
 * The package build (`npm run build`: tsc -p tsconfig.build.json, into dist/): under `npm test`, test/typecheck.cjs
 * runs it beside the type check in one TypeScript process and names its result file in JEST_LIBRARY_BUILD (jest
 * runs this file halfway, test/sequencer.cjs, so the build is usually done by then); otherwise tsc runs here, once.
 */
let built: Promise<{ status: number | null; output: string }> | undefined;
const build = () => (built ??= buildOnce());
async function buildOnce(): Promise<{ status: number | null; output: string }> {
  const shared = process.env.JEST_LIBRARY_BUILD;
  if (shared === undefined) {
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    return { status: run.status, output: run.stdout + run.stderr };
  }
  while (!existsSync(shared)) await new Promise((resolve) => setTimeout(resolve, 50));
  const { code, output } = JSON.parse(readFileSync(shared, 'utf8')) as { code: number; output: string };
  return { status: code, output };
}

test('another project imports the constructs from "<package>/constructs" as compiled JavaScript', async () => {
  const result = await build();
  expect(result.output).toBe('');
  expect(result.status).toBe(0);

  const outdir = join(require('node:os').tmpdir(), `consumer-${process.pid}`);
  const run = spawnSync(process.execPath, ['-e', consumer, outdir], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  const { refused, json } = JSON.parse(run.stdout) as { refused: string; json: string };
  expect(refused).toBe('name: "no" is not allowed: 5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)');
  const tf = JSON.parse(json) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  expect(Object.keys(tf.resource).sort()).toEqual(['azurerm_container_registry', 'azurerm_kubernetes_cluster', 'azurerm_role_assignment']);
  expect(Object.values(tf.resource.azurerm_role_assignment)[0]).toMatchObject({ role_definition_name: 'AcrPull' });
});

// A consumer's main.ts with an invalid construct: the library's synthesize() reports it as the kit's main.ts does. In
// this process: the package's compiled export, as jest resolves it (the first test loads it with plain Node).
test('a consumer\'s validation error is one message with no stack trace, exit 1 and no output directory', async () => {
  expect((await build()).status).toBe(0);
  expect(require.resolve('azure-container-platform/constructs')).toBe(join(ROOT, 'dist', 'constructs', 'index.js'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kit = require('azure-container-platform/constructs') as typeof import('../constructs');
  const { TerraformStack } = await import('cdktf');
  const { AzurermProvider } = await import('@cdktf/provider-azurerm/lib/provider');
  const outdir = join(require('node:os').tmpdir(), `consumer-invalid-${process.pid}`);
  const { value: code, stdout, stderr } = captureOutput(() =>
    kit.synthesize((app) => {
      const stack = new TerraformStack(app, 'consumer');
      new AzurermProvider(stack, 'azurerm', { features: [{}] });
      new kit.ContainerRegistry(stack, 'registry', { name: 'no', resourceGroupName: 'rg', location: 'westeurp', retentionDays: 0 });
    }, { outdir }),
  );
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^Invalid registry "consumer\/registry": \d problems\n/);
  expect(stderr).toContain('  - name: "no" is not allowed: 5-50 letters or digits');
  expect(stderr).toContain('  - location: "westeurp" is not an Azure region (did you mean westeurope?)');
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(existsSync(outdir)).toBe(false);
});
