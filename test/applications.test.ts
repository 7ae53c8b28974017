/**
 * Many applications and any environments: a platform team onboards a second application with one config entry,
 * and a fourth environment with one more key. Applications never share identities, namespaces, federated subjects
 * or state keys, and validation says so when a config would make them.
 */
import { Testing } from 'cdktf';
import type { AppConfig, PlatformConfig } from '../stacks/environments';
import { buildStacks } from '../stacks/app';
import { validateConfig } from '../stacks/validate-config';
import { TfJson, configCopy, resources, synthStack } from './helpers';

const synthAll = (c: PlatformConfig): Record<string, TfJson> =>
  Object.fromEntries(buildStacks(Testing.app(), c).map(({ stack }) => [stack.node.id, synthStack(stack)]));
const named = (tf: TfJson, type: string, name: string) => {
  const entry = Object.entries(resources(tf, type)).find(([, r]) => r.name === name);
  if (!entry) throw new Error(`no ${type} named ${name}`);
  return { resource: entry[1], ref: (attr: string) => `\${${type}.${entry[0]}.${attr}}` };
};

describe('a second application, onboarded with one config entry', () => {
  const c = configCopy();
  // Push delivery: each application gets a workload stack (GitOps environments have none; see gitops.test.ts).
  c.environments.prod.delivery = 'push';
  delete (c.environments.prod as { gitops?: unknown }).gitops;
  const web = c.environments.prod.applications[0];
  const api: AppConfig = { ...structuredClone(web), name: 'api', githubEnvironment: 'fx-production-api', namespace: 'fx-api', imageName: 'team/api', releaseName: 'api', serviceAccountName: 'api-sa' };
  c.environments.prod.applications.push(api as (typeof c.environments.prod.applications)[number]);
  const stacks = synthAll(c as PlatformConfig);
  const bootstrap = stacks['state-bootstrap'];
  const platform = stacks['platform-prod'];

  test('the config is valid', () => {
    expect(validateConfig(c as PlatformConfig)).toEqual([]);
  });

  test('each application has its own workload stack, so its own state key', () => {
    expect(Object.keys(stacks).filter((s) => s.startsWith('workload-prod-')).sort()).toEqual(['workload-prod-api', 'workload-prod-web']);
    const keys = ['workload-prod-api', 'workload-prod-web'].map((s) => (stacks[s].terraform as { backend: { azurerm: { key: string } } }).backend.azurerm.key);
    expect(keys).toEqual(['workload-prod-api.tfstate', 'workload-prod-web.tfstate']);
  });

  test('each has its own deploy identity, trusting its own GitHub environment, writing only its own state file', () => {
    const subjects = (name: string) => Object.values(resources(bootstrap, 'azurerm_federated_identity_credential'))
      .filter((cred) => cred.parent_id === named(bootstrap, 'azurerm_user_assigned_identity', name).ref('id')).map((cred) => cred.subject);
    expect(subjects('id-github-deploy-prod-web')).toEqual([`repo:${c.repository}:environment:${web.githubEnvironment}`]);
    expect(subjects('id-github-deploy-prod-api')).toEqual([`repo:${c.repository}:environment:fx-production-api`]);
    for (const app of ['web', 'api']) {
      const principal = named(bootstrap, 'azurerm_user_assigned_identity', `id-github-deploy-prod-${app}`).ref('principal_id');
      const state = Object.values(resources(bootstrap, 'azurerm_role_assignment')).filter((a) => a.principal_id === principal && String(a.condition ?? '').includes('blobs:path'));
      expect(state).toHaveLength(1);
      expect(String(state[0].condition)).toContain(`StringStartsWith 'workload-prod-${app}.tfstate'`);
    }
  });

  test('its GitHub environment gets the environment\'s protection rules and its own deployer\'s sign-in secrets', () => {
    const envs = Object.values(resources(bootstrap, 'github_repository_environment'));
    const own = envs.find((e) => e.environment === 'fx-production-api');
    const main = envs.find((e) => e.environment === c.environments.prod.github.environment);
    expect(own).toMatchObject({ reviewers: main?.reviewers, deployment_branch_policy: main?.deployment_branch_policy, can_admins_bypass: false });
    const secrets = Object.values(resources(bootstrap, 'github_actions_environment_secret')).filter((s) => String(s.environment).includes('fx-production-api'));
    expect(Object.fromEntries(secrets.map((s) => [s.secret_name, s.plaintext_value]))).toMatchObject({
      AZURE_CLIENT_ID: named(bootstrap, 'azurerm_user_assigned_identity', 'id-github-deploy-prod-api').ref('client_id'),
    });
    expect(secrets.map((s) => s.secret_name)).not.toContain('AZURE_INFRA_CLIENT_ID');
  });

  test('on the platform: two workload identities, and each deployer writes only in its own namespace', () => {
    // Plus the registry purge task's own identity, which is shared by the environment's applications.
    expect(Object.values(resources(platform, 'azurerm_user_assigned_identity')).map((i) => i.name).sort()).toEqual(['id-acr-purge-prod', 'id-api-prod', 'id-web-prod']);
    const writers = Object.values(resources(platform, 'azurerm_role_assignment')).filter((a) => a.role_definition_name === 'Azure Kubernetes Service RBAC Writer');
    expect(writers).toHaveLength(2);
    expect(new Set(writers.map((w) => w.principal_id)).size).toBe(2);
    expect(writers.map((w) => String(w.scope).split('/namespaces/')[1]).sort()).toEqual(['fx-api', 'fx-web']);
    const subjects = Object.values(resources(platform, 'azurerm_federated_identity_credential')).map((cred) => cred.subject).sort();
    expect(subjects).toEqual(['system:serviceaccount:fx-api:api-sa', 'system:serviceaccount:fx-web:web-sa']);
  });

  test('each application\'s workflow variables go to its own GitHub environment', () => {
    const vars = Object.values(resources(platform, 'github_actions_environment_variable')).filter((v) => v.variable_name === 'NAMESPACE');
    expect(vars.map((v) => [v.environment, v.value]).sort()).toEqual([['fx-production', 'fx-web'], ['fx-production-api', 'fx-api']]);
  });
});

describe('validation keeps applications apart', () => {
  const withSecond = (change: Partial<AppConfig>) => {
    const c = configCopy();
    const web = c.environments.prod.applications[0];
    c.environments.prod.applications.push({ ...structuredClone(web), name: 'api', githubEnvironment: 'fx-production-api', namespace: 'fx-api', ...change } as (typeof c.environments.prod.applications)[number]);
    return validateConfig(c as PlatformConfig);
  };

  test('the same name twice', () => {
    expect(withSecond({ name: 'web' })).toEqual(expect.arrayContaining(['environments.prod.applications[].name: "web" appears more than once; each entry must be unique']));
  });

  test('the same namespace twice', () => {
    expect(withSecond({ namespace: 'fx-web' })).toEqual([
      'environments.prod.applications[].namespace (each application\'s deployer may write only in its own): "fx-web" appears more than once; each entry must be unique',
    ]);
  });

  test('the same GitHub environment twice, or another environment\'s', () => {
    expect(withSecond({ githubEnvironment: 'fx-production' })).toEqual([
      'environments.*.github.environment, applications[].githubEnvironment: "fx-production" is used by application prod/web and application prod/api; each GitHub environment is a federated subject that one environment\'s deployers, or one application\'s, may trust',
    ]);
    expect(withSecond({ githubEnvironment: 'fx-dev' })).toEqual([
      'environments.*.github.environment, applications[].githubEnvironment: "fx-dev" is used by application dev/web and application prod/api; each GitHub environment is a federated subject that one environment\'s deployers, or one application\'s, may trust',
    ]);
  });

  test('names that would make the same stack and identity names across environments', () => {
    const c = configCopy();
    c.environments['dev-x'] = { ...structuredClone(c.environments.staging), name: 'dev-x', resourceGroupName: 'rg-fx-devx', stateContainerName: 'fx-state-devx', registry: { ...c.environments.staging.registry, name: 'acrfxdevx01' }, github: { ...c.environments.staging.github, environment: 'fx-devx' } };
    c.environments['dev-x'].applications[0] = { ...c.environments['dev-x'].applications[0], name: 'web', githubEnvironment: 'fx-devx-web' };
    c.environments.dev.applications[0] = { ...c.environments.dev.applications[0], name: 'x-web' };
    expect(validateConfig(c as PlatformConfig)).toEqual([
      'environments.*.applications[].name (stack names workload-<environment>-<application>): "workload-dev-x-web" appears more than once; each entry must be unique',
      'environments.*.applications[].name (identity names id-github-deploy-<environment>-<application>): "id-github-deploy-dev-x-web" appears more than once; each entry must be unique',
    ]);
  });
});

describe('a fourth environment, with any valid name', () => {
  const c = configCopy();
  const staging = c.environments.staging;
  c.environments.qa = {
    ...structuredClone(staging), name: 'qa', resourceGroupName: 'rg-fx-qa', stateContainerName: 'fx-state-qa',
    registry: { ...staging.registry, name: 'acrfxqa01' }, cluster: { ...staging.cluster, name: 'aks-fx-qa', dnsPrefix: 'fxqa' },
    github: { ...staging.github, environment: 'fx-qa' },
    applications: [{ ...staging.applications[0], githubEnvironment: 'fx-qa' }],
  };
  const stacks = synthAll(c as PlatformConfig);

  test('is valid, and its stacks are named after it', () => {
    expect(validateConfig(c as PlatformConfig)).toEqual([]);
    // prod delivers by GitOps in the fixture: no workload stack.
    expect(Object.keys(stacks).sort()).toEqual([
      'platform-dev', 'platform-dev-admission', 'platform-prod', 'platform-qa', 'platform-qa-admission', 'platform-staging', 'platform-staging-admission',
      'state-bootstrap', 'workload-dev-web', 'workload-qa-web', 'workload-staging-web',
    ]);
  });

  test('state-bootstrap gives it a state container, a resource group, its identities and its GitHub environment', () => {
    const bootstrap = stacks['state-bootstrap'];
    expect(Object.values(resources(bootstrap, 'azurerm_storage_container')).map((s) => s.name)).toContain('fx-state-qa');
    expect(Object.values(resources(bootstrap, 'azurerm_resource_group')).map((g) => g.name)).toContain('rg-fx-qa');
    const identities = Object.values(resources(bootstrap, 'azurerm_user_assigned_identity')).map((i) => i.name);
    expect(identities).toEqual(expect.arrayContaining(['id-github-infra-qa', 'id-github-plan-qa', 'id-github-deploy-qa-web']));
    expect(Object.values(resources(bootstrap, 'github_actions_variable')).map((v) => v.variable_name)).toContain('PLAN_QA_AZURE_CLIENT_ID');
    expect(Object.values(resources(bootstrap, 'github_repository_environment')).map((e) => e.environment)).toContain('fx-qa');
  });

  test('its stacks keep their state in its own container', () => {
    for (const name of ['platform-qa', 'workload-qa-web']) {
      expect((stacks[name].terraform as { backend: { azurerm: Record<string, unknown> } }).backend.azurerm).toMatchObject({ container_name: 'fx-state-qa', key: `${name}.tfstate` });
    }
  });
});
