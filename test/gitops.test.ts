/**
 * GitOps delivery: the GitOps construct (Flux extension, its configuration, the blob source and who may read and
 * write it), and a GitOps environment in the stacks: no workload stack, a deployer with no cluster role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffSynth } from '../tools/plan-diff/diff';
import { loadSynthOutput } from '../tools/plan-diff/load';
import { renderText } from '../tools/plan-diff/render';
import { GitOps, GitOpsProps, validateGitOps } from '../constructs/gitops';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import type { PlatformConfig } from '../stacks/environments';
import { clientIdVariable } from '../stacks/gitops';
import { validateConfig } from '../stacks/validate-config';
import { TfJson, appStacks, config, configCopy, errorOf, only, resources, synthScope, synthesizeApp, synthesizedApp, synthesizedStacks } from './helpers';
import { lines } from './problems';

const CLUSTER = {
  id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-example/providers/Microsoft.ContainerService/managedClusters/aks-example',
  name: 'aks-example',
  oidcIssuerUrl: 'https://oidc.example/issuer/',
  kubeletIdentityObjectId: '00000000-0000-0000-0000-0000000000aa',
  kubeletIdentityClientId: '00000000-0000-0000-0000-0000000000bb',
};
type Props = Omit<GitOpsProps, 'cluster'>;
const base: Props = {
  name: 'stexamplegitops',
  resourceGroupName: 'rg-example',
  location: 'swedencentral',
  kustomizations: [
    { name: 'infra', path: './deploy/qa/infra' },
    { name: 'apps', path: './deploy/qa/apps', dependsOn: ['infra'], substitute: { APP_CLIENT_ID: 'abc' } },
  ],
};
const publisher = { principalId: '00000000-0000-0000-0000-0000000000cc', principalType: 'ServicePrincipal' as const };

function synth(props: Partial<Props> = {}): TfJson {
  return synthScope((scope) => {
    const cluster = KubernetesCluster.fromAttributes(scope, 'cluster', CLUSTER);
    new GitOps(scope, 'gitops', { ...base, ...props, cluster }).grantPublish(publisher);
  });
}
const problems = (props: Partial<GitOpsProps>) => lines(validateGitOps({ ...base, cluster: { ...CLUSTER, kubeletIdentity: {} } as never, ...props }));

describe('GitOps', () => {
  const tf = synth();
  const account = Object.keys(resources(tf, 'azurerm_storage_account'))[0];
  const extension = Object.keys(resources(tf, 'azurerm_kubernetes_cluster_extension'))[0];
  const container = Object.keys(resources(tf, 'azurerm_storage_container'))[0];
  // The container's resource manager ID, as a reference: the grants wait for the container.
  const containerScope = `\${azurerm_storage_container.${container}.id}`;

  test('the source: a storage account that only Entra ID identities can read or write, and a private container', () => {
    expect(only(tf, 'azurerm_storage_account')).toMatchObject({
      name: 'stexamplegitops', shared_access_key_enabled: false, default_to_oauth_authentication: true, min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true, allow_nested_items_to_be_public: false, infrastructure_encryption_enabled: true,
    });
    expect(only(tf, 'azurerm_storage_container')).toMatchObject({ name: 'flux', container_access_type: 'private', storage_account_id: `\${azurerm_storage_account.${account}.id}` });
  });

  test('the microsoft.flux extension on the cluster, on the Stable train (minor upgrades automatic)', () => {
    expect(only(tf, 'azurerm_kubernetes_cluster_extension')).toEqual(expect.objectContaining({ cluster_id: CLUSTER.id, extension_type: 'microsoft.flux', name: 'flux', release_train: 'Stable' }));
    expect(only(tf, 'azurerm_kubernetes_cluster_extension').version).toBeUndefined();
  });

  test('the configuration reads the container with the kubelet identity: no key, token or password anywhere', () => {
    const configuration = only(tf, 'azurerm_kubernetes_flux_configuration');
    expect(configuration).toMatchObject({
      name: 'cluster-config', namespace: 'flux-system', scope: 'cluster', cluster_id: CLUSTER.id,
      blob_storage: {
        container_id: `\${azurerm_storage_account.${account}.primary_blob_endpoint}flux`,
        managed_identity: { client_id: CLUSTER.kubeletIdentityClientId },
        sync_interval_in_seconds: 120,
      },
    });
    expect(configuration.git_repository).toBeUndefined();
    expect(JSON.stringify(configuration)).not.toMatch(/account_key|sas_token|https_key|ssh_private_key|client_secret/);
    // Created after the extension and after the kubelet may read, or the first reconcile fails.
    const reader = Object.entries(resources(tf, 'azurerm_role_assignment')).find(([, a]) => a.role_definition_name === 'Storage Blob Data Reader')![0];
    expect(configuration.depends_on).toEqual([`azurerm_kubernetes_cluster_extension.${extension}`, `azurerm_storage_container.${container}`, `azurerm_role_assignment.${reader}`]);
  });

  test('kustomizations keep their order, dependencies and substitutions, prune removed objects and wait for readiness', () => {
    const kustomizations = only(tf, 'azurerm_kubernetes_flux_configuration').kustomizations as Record<string, unknown>[];
    expect(kustomizations).toEqual([
      { name: 'infra', path: './deploy/qa/infra', garbage_collection_enabled: true, wait: true, sync_interval_in_seconds: 120 },
      { name: 'apps', path: './deploy/qa/apps', depends_on: ['infra'], garbage_collection_enabled: true, wait: true, sync_interval_in_seconds: 120, post_build: { substitute: { APP_CLIENT_ID: 'abc' } } },
    ]);
  });

  test('the kubelet reads and a publisher writes, each on the container only', () => {
    const roles = Object.values(resources(tf, 'azurerm_role_assignment')).map((a) => [a.role_definition_name, a.scope, a.principal_id]);
    expect(roles.sort()).toEqual([
      ['Storage Blob Data Contributor', containerScope, publisher.principalId],
      ['Storage Blob Data Reader', containerScope, CLUSTER.kubeletIdentityObjectId],
    ]);
  });

  test('protected: the account, the extension and the configuration refuse to be destroyed (replacing Flux prunes what it applied)', () => {
    const guarded = synth({ preventDestroy: true });
    for (const type of ['azurerm_storage_account', 'azurerm_kubernetes_cluster_extension', 'azurerm_kubernetes_flux_configuration']) {
      expect({ type, lifecycle: only(guarded, type).lifecycle }).toEqual({ type, lifecycle: { prevent_destroy: true } });
      expect({ type, lifecycle: only(tf, type).lifecycle }).toEqual({ type, lifecycle: undefined });
    }
  });

  test('grantPublish is idempotent', () => {
    const again = synthScope((scope) => {
      const cluster = KubernetesCluster.fromAttributes(scope, 'cluster', CLUSTER);
      const gitops = new GitOps(scope, 'gitops', { ...base, cluster });
      expect(gitops.grantPublish(publisher)).toBe(gitops.grantPublish(publisher));
    });
    expect(Object.keys(resources(again, 'azurerm_role_assignment'))).toHaveLength(2);
  });

  test('validation names each bad field and what is allowed', () => {
    expect(problems({ name: 'St-Gitops' })).toEqual(['name: "St-Gitops" is not allowed: 3-24 lowercase letters or digits, globally unique']);
    expect(problems({ kustomizations: [] })).toEqual(['kustomizations: give at least one kustomization: Flux applies nothing without one']);
    expect(problems({ kustomizations: [{ name: 'apps', path: './a', dependsOn: ['infra', 'apps'] }] })).toEqual([
      'kustomizations[0].dependsOn[0]: "infra" is not a kustomization of this configuration; allowed: none',
      'kustomizations[0].dependsOn[1]: a kustomization cannot depend on itself',
    ]);
    expect(problems({ kustomizations: [{ name: 'Apps', path: 'deploy/../x' }] })).toEqual([
      'kustomizations[0].name: "Apps" is not allowed: 1-30 lowercase letters, digits or hyphens, starting and ending with a letter or digit',
      'kustomizations[0].path: "deploy/../x" is not allowed: a path inside the source that starts with ./, such as ./deploy/prod/apps, without ..',
    ]);
    expect(problems({ kustomizations: [{ name: 'a', path: './a', substitute: { 'CLIENT-ID': 'x', EMPTY: '' } }] })).toEqual([
      'kustomizations[0].substitute.CLIENT-ID: "CLIENT-ID" is not allowed: a letter or underscore, then letters, digits or underscores (Flux reads it as ${NAME})',
      'kustomizations[0].substitute.EMPTY: "" is not allowed: a non-empty string',
    ]);
    expect(problems({ kustomizations: [{ name: 'a', path: './a' }, { name: 'a', path: './b' }] })).toEqual(['kustomizations[].name: "a" appears more than once; each entry must be unique']);
    expect(problems({ syncIntervalSeconds: 5 })).toEqual([expect.stringMatching(/^syncIntervalSeconds: /)]);
  });

  test('a cluster imported without its kubelet client ID is refused with the way out', () => {
    const { kubeletIdentityClientId: _, ...withoutClientId } = CLUSTER;
    const error = errorOf(() => synthScope((scope) => {
      new GitOps(scope, 'gitops', { ...base, cluster: KubernetesCluster.fromAttributes(scope, 'cluster', withoutClientId) });
    }));
    expect(error).toContain('cluster: its kubelet identity\'s client ID is unknown');
    expect(error).toContain('pass kubeletIdentityClientId to KubernetesCluster.fromAttributes');
  });
});

describe('delivery in the configuration', () => {
  const problemsOf = (edit: (c: ReturnType<typeof configCopy>) => void) => {
    const c = configCopy();
    edit(c);
    return validateConfig(c as PlatformConfig);
  };

  test('is push or gitops', () => {
    expect(problemsOf((c) => { (c.environments.dev as { delivery: string }).delivery = 'pull'; })).toEqual([
      'environments.dev.delivery: must be one of "push", "gitops", got "pull"',
    ]);
  });

  test('a GitOps environment names its storage account; a push environment has none', () => {
    expect(problemsOf((c) => { c.environments.dev.delivery = 'gitops'; })).toEqual([
      'environments.dev.gitops: is required when delivery is \'gitops\': { storageAccountName: \'<3-24 lowercase letters or digits>\' }, the account Flux reads deploy/<env> from',
    ]);
    expect(problemsOf((c) => { c.environments.dev.gitops = { storageAccountName: 'stdevgitops' }; })).toEqual([
      'environments.dev.gitops: applies only when delivery is \'gitops\'; remove it, or set delivery: \'gitops\'',
    ]);
    expect(problemsOf((c) => { c.environments.prod.gitops = { storageAccountName: 'St_Prod' }; })).toEqual([
      'environments.prod.gitops.storageAccountName: "St_Prod" is not allowed: 3-24 lowercase letters or digits, globally unique',
    ]);
  });

  test('storage account names are global: GitOps sources never share one, nor the state account', () => {
    expect(problemsOf((c) => { c.environments.prod.gitops = { storageAccountName: c.state.storageAccountName }; })).toEqual([
      `environments.*.gitops.storageAccountName (storage account names are global): "${configCopy().state.storageAccountName}" appears more than once; each entry must be unique`,
    ]);
  });

  test('the signer identity: a workflow file and a branch', () => {
    expect(problemsOf((c) => { c.supplyChain = { workflow: 'app.yml', branch: 'main..x' }; })).toEqual([
      'supplyChain.workflow: "app.yml" is not allowed: a workflow file such as .github/workflows/app.yml (letters, digits, dots, hyphens or underscores, ending in .yml or .yaml)',
      'supplyChain.branch: "main..x" is not allowed: a branch name such as main or release/v2: 1-100 letters, digits, dots, hyphens, underscores or slashes, no "..", no slash at either end',
    ]);
  });
});

/**
 * The tests' configuration with prod moved to push delivery, as the app synthesizes it (App.synth, once for this
 * file, removed after it): the base of a move to GitOps, whose head is the tests' own configuration.
 */
const pushConfig = (() => {
  const c = configCopy();
  c.environments.prod.delivery = 'push';
  delete (c.environments.prod as { gitops?: unknown }).gitops;
  return c as PlatformConfig;
})();
let pushOutdir: string | undefined;
const pushApp = (): string => {
  if (pushOutdir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'gitops-push-'));
    synthesizeApp(pushConfig, dir);
    pushOutdir = dir;
  }
  return pushOutdir;
};
afterAll(() => pushOutdir && rmSync(pushOutdir, { recursive: true, force: true }));

describe('moving an environment between push and GitOps', () => {
  // The tests' configuration runs prod on GitOps: its app, synthesized once for the run, is the GitOps side.
  const push = pushConfig;
  const gitops = config;
  let before: Record<string, TfJson>;
  let after: Record<string, TfJson>;
  beforeAll(() => {
    before = appStacks(pushApp());
    after = synthesizedStacks('fixture');
  });
  const app = push.environments.prod.applications[0];
  const workload = `workload-prod-${app.name}`;

  test('both configurations are valid; prod is the only environment they deliver differently', () => {
    expect(validateConfig(push)).toEqual([]);
    expect(validateConfig(gitops)).toEqual([]);
    expect(gitops.environments.prod).toMatchObject({ delivery: 'gitops', gitops: { storageAccountName: expect.any(String) } });
    expect(Object.entries(push.environments).filter(([name, env]) => env.delivery !== gitops.environments[name as keyof typeof gitops.environments].delivery).map(([name]) => name)).toEqual(['prod']);
  });

  test('GitOps drops the workload stack and adds Flux to the platform stack; push is the reverse', () => {
    expect(Object.keys(before)).toContain(workload);
    expect(Object.keys(after)).not.toContain(workload);
    expect(resources(before['platform-prod'], 'azurerm_kubernetes_flux_configuration')).toEqual({});
    const flux = only(after['platform-prod'], 'azurerm_kubernetes_flux_configuration');
    expect((flux.kustomizations as { name: string }[]).map((k) => k.name)).toEqual(['platform', 'apps']);
    expect(flux.kustomizations).toEqual([
      expect.objectContaining({ name: 'platform', path: './deploy/prod/platform' }),
      expect.objectContaining({ name: 'apps', path: './deploy/prod/apps', depends_on: ['platform'] }),
    ]);
  });

  test('the apps kustomization gets the registry and each workload identity as substitutions', () => {
    const platform = after['platform-prod'];
    const apps = (only(platform, 'azurerm_kubernetes_flux_configuration').kustomizations as { name: string; post_build?: { substitute: Record<string, string> } }[])[1];
    const identity = Object.entries(resources(platform, 'azurerm_user_assigned_identity')).find(([, i]) => i.name === `id-${app.name}-prod`)![0];
    const registry = Object.keys(resources(platform, 'azurerm_container_registry'))[0];
    expect(apps.post_build?.substitute).toEqual({
      REGISTRY_LOGIN_SERVER: `\${azurerm_container_registry.${registry}.login_server}`,
      [clientIdVariable(app)]: `\${azurerm_user_assigned_identity.${identity}.client_id}`,
    });
  });

  test('the GitOps deployer holds no cluster role, only AcrPush and publishing to the source container', () => {
    const rolesOf = (tf: TfJson) => {
      const lookup = Object.entries((tf.data as Record<string, Record<string, Record<string, unknown>>>).azurerm_user_assigned_identity).find(([, d]) => String(d.name).startsWith('id-github-deploy-'))![0];
      const principal = `\${data.azurerm_user_assigned_identity.${lookup}.principal_id}`;
      return Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.principal_id === principal).map((a) => a.role_definition_name).sort();
    };
    expect(rolesOf(before['platform-prod'])).toEqual(['AcrPush', 'Azure Kubernetes Service Cluster User Role', 'Azure Kubernetes Service RBAC Writer']);
    expect(rolesOf(after['platform-prod'])).toEqual(['AcrPush', 'Storage Blob Data Contributor']);
  });

  test('state-bootstrap: the GitOps deployer gets no state file, the infrastructure deployer gets the storage and Flux rights', () => {
    const stateGrants = (tf: TfJson) => Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => String(a.condition ?? '').includes(`'${workload}.tfstate'`));
    expect(stateGrants(before['state-bootstrap'])).toHaveLength(1);
    expect(stateGrants(after['state-bootstrap'])).toHaveLength(0);
    const infraRoles = (tf: TfJson) => Object.values(resources(tf, 'azurerm_role_assignment')).map((a) => a.role_definition_name).filter((r) => r === 'Storage Account Contributor');
    expect(infraRoles(before['state-bootstrap'])).toEqual([]);
    expect(infraRoles(after['state-bootstrap'])).toEqual(['Storage Account Contributor']);
  });
});

describe('plan-diff shows a move to GitOps', () => {
  test('the workload stack is removed, Flux is created, the deployer\'s cluster roles are destroyed', () => {
    // The tests' configuration runs prod on GitOps: its app, synthesized once for the run, is the head.
    expect(config.environments.prod.delivery).toBe('gitops');
    const diff = diffSynth(loadSynthOutput(pushApp()), loadSynthOutput(synthesizedApp('fixture')));
    const workload = diff.stacks.find((s) => s.stack === `workload-prod-${config.environments.prod.applications[0].name}`);
    expect(workload?.status).toBe('removed');
    const platform = diff.stacks.find((s) => s.stack === 'platform-prod')!;
    const actions = platform.changes.map((c) => `${c.action} ${c.address.split('.')[0]}`);
    expect(actions).toEqual(expect.arrayContaining([
      'create azurerm_kubernetes_cluster_extension', 'create azurerm_kubernetes_flux_configuration', 'create azurerm_storage_account', 'create azurerm_storage_container',
      'destroy azurerm_role_assignment',
    ]));
    expect(renderText({ diff, baseLabel: 'push', headLabel: 'gitops' })).toContain('(stack removed');
  });
});
