import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { ContainerRegistry as AzurermContainerRegistry, ContainerRegistryConfig } from '@cdktf/provider-azurerm/lib/container-registry';
import { KubernetesCluster as AzurermKubernetesCluster, KubernetesClusterConfig } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { POLICY_RULES, POLICY_RULE_IDS, SecurityPolicy } from '../constructs/policy';
import { KIT_WAIVERS, waiversByTarget } from '../stacks/waivers';
import { validateConfig } from '../stacks/validate-config';
import { ContainerRegistry } from '../constructs/container-registry';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import { buildStacks } from '../stacks/app';
import { PlatformConfig, config as shipped } from '../stacks/environments';
import { auditPolicy } from '../stacks/policy-report';
import { APP_ARGS, captureOutput, config, configCopy, copyApp, useConfig } from './helpers';


/** A registry and a cluster as the constructs build them: compliant with every rule. */
const goodRegistry: ContainerRegistryConfig = {
  name: 'acrgood01', resourceGroupName: 'rg', location: 'japaneast', sku: 'Premium', adminEnabled: false, anonymousPullEnabled: false,
  zoneRedundancyEnabled: true, retentionPolicyInDays: 7, dataEndpointEnabled: true,
  georeplications: [{ location: 'koreacentral', zoneRedundancyEnabled: true }],
};
const goodCluster: KubernetesClusterConfig = {
  name: 'aks-good', resourceGroupName: 'rg', location: 'japaneast', dnsPrefix: 'aks-good', skuTier: 'Standard',
  automaticUpgradeChannel: 'patch', azurePolicyEnabled: true, localAccountDisabled: true, roleBasedAccessControlEnabled: true,
  identity: { type: 'SystemAssigned' },
  apiServerAccessProfile: { authorizedIpRanges: ['203.0.113.0/24'] },
  networkProfile: { networkPlugin: 'azure', networkPolicy: 'cilium' },
  omsAgent: { logAnalyticsWorkspaceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w' },
  keyVaultSecretsProvider: { secretRotationEnabled: true },
  defaultNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', maxPods: 110, onlyCriticalAddonsEnabled: true, nodeCount: 1 },
};

function audit(build: (stack: TerraformStack) => void, waivers: SecurityPolicy['violations'] extends unknown ? Array<{ rule: string; reason: string }> : never = []) {
  const stack = new TerraformStack(Testing.app(), 'policy-test');
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  build(stack);
  return new SecurityPolicy(waivers).audit(stack);
}
const ruleIds = (policy: SecurityPolicy) => policy.violations.map((v) => v.rule.id);

describe('each rule catches a deliberately bad resource', () => {
  test('compliant resources pass every rule', () => {
    const policy = audit((s) => {
      new AzurermContainerRegistry(s, 'registry', goodRegistry);
      new AzurermKubernetesCluster(s, 'cluster', goodCluster);
      new KubernetesClusterNodePool(s, 'pool', { name: 'apps', kubernetesClusterId: 'x', vmSize: 'Standard_D4ds_v5', maxPods: 60 });
    });
    expect(policy.violations).toEqual([]);
  });

  const registryCases: Array<[string, Partial<ContainerRegistryConfig>]> = [
    ['CKV_AZURE_137', { adminEnabled: true }],
    ['CKV_AZURE_138', { anonymousPullEnabled: true }],
    ['CKV_AZURE_165', { georeplications: [] }],
    ['CKV_AZURE_167', { retentionPolicyInDays: 0 }],
    ['CKV_AZURE_233', { georeplications: [{ location: 'koreacentral', zoneRedundancyEnabled: false }] }],
    ['CKV_AZURE_237', { dataEndpointEnabled: false }],
  ];
  test.each(registryCases)('registry: %s', (id, change) => {
    expect(ruleIds(audit((s) => new AzurermContainerRegistry(s, 'registry', { ...goodRegistry, ...change })))).toEqual([id]);
  });

  const clusterCases: Array<[string, Partial<KubernetesClusterConfig>]> = [
    ['CKV_AZURE_4', { omsAgent: undefined }],
    ['CKV_AZURE_5', { roleBasedAccessControlEnabled: false }],
    ['CKV_AZURE_6', { apiServerAccessProfile: undefined }],
    ['CKV_AZURE_7', { networkProfile: { networkPlugin: 'azure' } }],
    ['CKV_AZURE_116', { azurePolicyEnabled: false }],
    ['CKV_AZURE_141', { localAccountDisabled: false }],
    ['CKV_AZURE_168', { defaultNodePool: { ...goodCluster.defaultNodePool, maxPods: 30 } }],
    ['CKV_AZURE_170', { skuTier: 'Free' }],
    ['CKV_AZURE_171', { automaticUpgradeChannel: 'none' }],
    ['CKV_AZURE_172', { keyVaultSecretsProvider: { secretRotationEnabled: false } }],
    ['CKV_AZURE_232', { defaultNodePool: { ...goodCluster.defaultNodePool, onlyCriticalAddonsEnabled: false } }],
  ];
  test.each(clusterCases)('cluster: %s', (id, change) => {
    expect(ruleIds(audit((s) => new AzurermKubernetesCluster(s, 'cluster', { ...goodCluster, ...change })))).toEqual([id]);
  });

  test('authorized ranges known only at apply time do not satisfy CKV_AZURE_6', () => {
    const stack = new TerraformStack(Testing.app(), 'policy-token');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    const ranges = new TerraformVariable(stack, 'ranges', { type: 'list(string)' }).listValue;
    new AzurermKubernetesCluster(stack, 'cluster', { ...goodCluster, apiServerAccessProfile: { authorizedIpRanges: ranges } });
    expect(ruleIds(new SecurityPolicy().audit(stack))).toEqual(['CKV_AZURE_6']);
  });

  test('a private cluster satisfies CKV_AZURE_6 without authorized ranges', () => {
    expect(ruleIds(audit((s) => new AzurermKubernetesCluster(s, 'cluster', { ...goodCluster, apiServerAccessProfile: undefined, privateClusterEnabled: true })))).toEqual([]);
  });

  test('node pools need 50 pods per node too (CKV_AZURE_168)', () => {
    expect(ruleIds(audit((s) => new KubernetesClusterNodePool(s, 'pool', { name: 'apps', kubernetesClusterId: 'x', maxPods: 30 })))).toEqual(['CKV_AZURE_168']);
  });

  test('every rule has a test case above', () => {
    const tested = new Set([...registryCases, ...clusterCases].map(([id]) => id));
    expect([...new Set(POLICY_RULES.map((r) => r.id))].filter((id) => !tested.has(id))).toEqual([]);
  });

  test('the constructs with their defaults pass, and their weakened options are caught', () => {
    const defaults = audit((s) => {
      new ContainerRegistry(s, 'registry', { name: 'acrgood01', resourceGroupName: 'rg', location: 'japaneast', geoReplications: [{ location: 'koreacentral' }] });
      new KubernetesCluster(s, 'cluster', {
        name: 'aks', resourceGroupName: 'rg', location: 'japaneast', adminGroupObjectIds: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
        systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 1, maxCount: 2 },
        authorizedIpRanges: ['203.0.113.0/24'], logAnalyticsWorkspaceId: goodCluster.omsAgent?.logAnalyticsWorkspaceId,
      });
    });
    expect(defaults.violations).toEqual([]);
    const weakened = audit((s) => new ContainerRegistry(s, 'registry', { name: 'acrweak01', resourceGroupName: 'rg', location: 'japaneast', sku: 'Standard' }));
    expect(ruleIds(weakened).sort()).toEqual(['CKV_AZURE_165', 'CKV_AZURE_167', 'CKV_AZURE_233', 'CKV_AZURE_237']);
  });
});

describe('the findings say where and what to change', () => {
  test('stack, construct path, rule id and fix', () => {
    const [finding] = audit((s) => new AzurermContainerRegistry(s, 'registry', { ...goodRegistry, adminEnabled: true })).violations;
    expect(finding).toMatchObject({ stack: 'policy-test', path: 'registry' });
  });

  test('as a cdktf aspect in another project, a violation fails synthesis with every finding of the stack', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'consumer');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    new AzurermContainerRegistry(stack, 'registry', { ...goodRegistry, adminEnabled: true, dataEndpointEnabled: false });
    SecurityPolicy.applyTo(stack);
    expect(() => app.synth()).toThrow(
      /\[CKV_AZURE_137\] requires admin user disabled: set admin_enabled = false[\s\S]*\[CKV_AZURE_237\] requires dedicated data endpoints: set data_endpoint_enabled = true/,
    );
  });
});

describe('the environments and their waivers', () => {
  const build = (c: PlatformConfig) => auditPolicy(buildStacks(new App({ outdir: mkdtempSync(join(tmpdir(), 'policy-')) }), c), c);

  test('the shipped configuration passes the policy', () => {
    expect(build(shipped).problems).toEqual([]);
  });

  test('the policy is a cdktf Aspect on every stack, with that stack\'s environment waivers', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'policy-')) });
    const built = buildStacks(app, config);
    expect(built.map(({ stack }) => stack.node.id).sort()).toEqual(app.node.children.filter(TerraformStack.isStack).map((s) => s.node.id).sort());
    for (const { stack, policy } of built) expect(Aspects.of(stack).all).toContain(policy);
  });

  test('pass the policy; only dev is waived, and each waiver is reported with its reason', () => {
    const report = build(config);
    expect(report.problems).toEqual([]);
    expect(report.waived).toEqual(
      config.environments.dev.waivers.filter((w) => POLICY_RULE_IDS.has(w.rule)).map((w) => expect.stringMatching(new RegExp(`^platform-dev (registry|cluster)/resource \\[${w.rule}\\] waived: ${w.reason}$`))),
    );
  });

  test('without its waivers, dev fails with one finding per waived rule', () => {
    const c = configCopy();
    c.environments.dev.waivers = [];
    // The fix names the Terraform argument and the construct prop (what a library user has); the stacks add the config path.
    const waive = '; or waive it in environments.dev.waivers)';
    expect(build(c as PlatformConfig).problems).toEqual([
      'platform-dev registry/resource [CKV_AZURE_165] requires Premium SKU with at least one geo-replication: set sku = "Premium" and add a georeplications block in another region (ContainerRegistry sku, geoReplications)' +
        ` (config: environments.dev.registry.sku, environments.dev.registry.geoReplications${waive}`,
      'platform-dev cluster/resource [CKV_AZURE_6] requires API server restricted to authorized IP ranges, or a private cluster (CKV_AZURE_6/CKV_AZURE_115): set api_server_access_profile.authorized_ip_ranges or private_cluster_enabled = true (KubernetesCluster authorizedIpRanges, privateClusterEnabled)' +
        ` (config: environments.dev.cluster.authorizedIpRanges, environments.dev.cluster.privateClusterEnabled${waive}`,
      'platform-dev cluster/resource [CKV_AZURE_170] requires a paid tier with the uptime SLA (Standard or Premium): set sku_tier = "Standard" (KubernetesCluster skuTier)' +
        ` (config: environments.dev.cluster.skuTier${waive}`,
    ]);
    for (const rule of POLICY_RULES) expect(rule.fix).not.toMatch(/environments\.ts|environments\./);
  });

  test('a waiver that matches nothing is a problem, so stale waivers do not linger', () => {
    const c = configCopy();
    c.environments.prod.waivers = [{ rule: 'CKV_AZURE_137', reason: 'no reason at all, really' }];
    expect(build(c as PlatformConfig).problems).toEqual(['environments.prod.waivers[0]: CKV_AZURE_137 is waived but nothing in prod violates it; remove the waiver']);
  });
});

const DEEP = process.env.DEEP_TESTS === '1';
const POLICY_FAILURE =
  'Invalid security policy (constructs/policy.ts): 1 problem\n' +
  '  - platform-dev cluster/resource [CKV_AZURE_170] requires a paid tier with the uptime SLA (Standard or Premium): set sku_tier = "Standard" (KubernetesCluster skuTier)' +
  ' (config: environments.dev.cluster.skuTier; or waive it in environments.dev.waivers)\n';
const expectedWaiverLines = () => config.environments.dev.waivers.filter((w) => POLICY_RULE_IDS.has(w.rule)).map((w) => expect.stringContaining(`[${w.rule}] waived: ${w.reason}`));
/** The tests' configuration with dev's CKV_AZURE_170 waiver taken away. */
const unwaived = () => {
  const c = configCopy();
  c.environments.dev.waivers = c.environments.dev.waivers.filter((w) => w.rule !== 'CKV_AZURE_170');
  return c;
};

/**
 * main.ts itself, run in this process with `cfg` as stacks/environments.ts's config and CDKTF_OUTDIR `outdir`: the
 * exit code it sets and what it writes to stdout and stderr. Its modules are loaded afresh, so it runs top to bottom
 * as `cdktf synth` runs it (test/config.test.ts runs it through cdktf.json's app, as a process).
 */
function runMain(cfg: unknown, outdir: string): { status: number; stdout: string; stderr: string } {
  // main.ts turns Node's source maps off for its process; this one is jest's worker.
  const sourceMaps = jest.spyOn(process, 'setSourceMapsEnabled').mockImplementation(() => undefined);
  const exitCode = process.exitCode;
  const outdirBefore = process.env.CDKTF_OUTDIR;
  process.exitCode = undefined;
  process.env.CDKTF_OUTDIR = outdir;
  try {
    const { stdout, stderr } = captureOutput(() =>
      jest.isolateModules(() => {
        jest.doMock('../stacks/environments', () => ({ ...jest.requireActual<object>('../stacks/environments'), config: cfg }));
        require('../main');
      }),
    );
    return { status: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    jest.dontMock('../stacks/environments');
    sourceMaps.mockRestore();
    process.exitCode = exitCode;
    if (outdirBefore === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = outdirBefore;
  }
}

describe('main.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-main-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('prints the dev waivers on every synth', () => {
    const outdir = join(dir, 'cdktf.out');
    const result = runMain(config, outdir);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(expectedWaiverLines());
    expect(existsSync(join(outdir, 'stacks', 'platform-dev', 'cdk.tf.json'))).toBe(true);
  });

  test('a violation fails synthesis with one message and writes no cdktf.out', () => {
    const outdir = join(dir, 'violation-out');
    const result = runMain(unwaived(), outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(POLICY_FAILURE);
    expect(existsSync(outdir)).toBe(false);
  });
});

// DEEP_TESTS=1 (set by .ci/run): the same two runs as `cdktf synth` makes them, cdktf.json's app in a process of its
// own on a copy of the app. By default main.ts runs in-process above, and test/config.test.ts runs the app command
// on an invalid configuration (exit 1, one message, no cdktf.out).
(DEEP ? describe : describe.skip)(`${DEEP ? '' : '(DEEP_TESTS=1) '}main.ts through cdktf.json's app, as a process`, () => {
  let dir: string;
  beforeAll(() => {
    dir = copyApp('policy-main-');
    useConfig(dir, config);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = () => spawnSync(process.execPath, [...APP_ARGS], { cwd: dir, encoding: 'utf8', env: { ...process.env, CDKTF_OUTDIR: join(dir, 'cdktf.out') } });

  test('prints the dev waivers on every synth', () => {
    const result = run();
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(expectedWaiverLines());
    rmSync(join(dir, 'cdktf.out'), { recursive: true, force: true });
  });

  test('a violation fails synthesis with one message and writes no cdktf.out', () => {
    const file = join(dir, 'stacks', 'environments.ts');
    const original = readFileSync(file, 'utf8');
    useConfig(dir, unwaived());
    try {
      const result = run();
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(POLICY_FAILURE);
      expect(existsSync(join(dir, 'cdktf.out'))).toBe(false);
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe('one source of waivers, for the synth-time policy and for Checkov', () => {
  test('each stack and rendered chart gets the kit waivers for its kind and its environment\'s own', () => {
    const byTarget = waiversByTarget(config);
    const kit = (kind: string) => KIT_WAIVERS.filter((w) => w.targets.includes(kind as never)).map(({ rule, reason }) => ({ rule, reason }));
    expect(byTarget.get('state-bootstrap')).toEqual(kit('state-bootstrap'));
    for (const [name, env] of Object.entries(config.environments)) {
      const own = env.waivers.map(({ rule, reason }) => ({ rule, reason }));
      // A GitOps environment's platform stack also holds the storage account Flux reads from.
      expect(byTarget.get(`platform-${name}`)).toEqual([...kit('platform'), ...(env.delivery === 'gitops' ? kit('gitops') : []), ...own]);
      expect(byTarget.get(`platform-${name}-admission`)).toEqual(env.delivery === 'push' ? own : undefined);
      for (const app of env.applications) {
        expect(byTarget.get(`workload-${name}-${app.name}`)).toEqual([...kit('workload'), ...own]);
        expect(byTarget.get(`chart-${name}-${app.name}`)).toEqual([...kit('chart'), ...own]);
      }
    }
  });

  test('the policy aspect of each stack holds exactly that list', () => {
    const byTarget = waiversByTarget(config);
    for (const { stack, policy } of buildStacks(new App({ outdir: mkdtempSync(join(tmpdir(), 'policy-')) }), config)) {
      expect((policy as unknown as { waivers: unknown }).waivers).toEqual(byTarget.get(stack.node.id));
    }
  });

  test('every kit waiver has a reason and a Checkov ID, once per target', () => {
    const seen = new Set<string>();
    for (const w of KIT_WAIVERS) {
      expect(w.rule).toMatch(/^CKV2?_[A-Z0-9]+_\d+$/);
      expect(w.reason.length).toBeGreaterThan(20);
      for (const t of w.targets) {
        expect(seen.has(`${t}/${w.rule}`)).toBe(false);
        seen.add(`${t}/${w.rule}`);
      }
    }
  });

  test('config waivers take any Checkov check ID, and refuse anything else', () => {
    const c = configCopy();
    c.environments.prod.waivers = [{ rule: 'CKV_K8S_99', reason: 'a Checkov-only check, judged by npm run verify' }, { rule: 'azure-6', reason: 'not a Checkov check ID at all' }];
    expect(validateConfig(c as PlatformConfig)).toEqual([
      expect.stringMatching(/^environments\.prod\.waivers\[1\]\.rule: "azure-6" is not allowed: a Checkov check ID such as CKV_AZURE_6; the synth-time policy implements CKV_AZURE_137, .*, and npm run verify runs the others$/),
    ]);
  });
});
