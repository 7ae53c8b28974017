import { Testing } from 'cdktf';
import { AKS_OPERATOR_ACTIONS, aksOperatorRoleName, INFRA_DEPLOYER_ROLES, RESOURCE_PROVIDERS, StateBootstrapStack } from '../stacks/bootstrap-stack';
import { ENVIRONMENT_NAMES, PlatformConfig, config } from '../stacks/environments';
import { PLATFORM_ASSIGNED_ROLES } from '../stacks/props';
import { PlatformStack } from '../stacks/platform-stack';
import { BUILT_IN_ROLE_IDS } from '../constructs/role-conditions';
import { TfJson, configCopy, only, ref, resources, synthStack } from './helpers';

const tf = synthStack(new StateBootstrapStack(Testing.app(), 'state-bootstrap', config));
const byName = (type: string, name: string) => {
  const entry = Object.entries(resources(tf, type)).find(([, r]) => r.name === name);
  if (!entry) throw new Error(`no ${type} named ${name}`);
  return { id: entry[0], resource: entry[1], ref: (attr: string) => `\${${type}.${entry[0]}.${attr}}` };
};

test('matches the committed snapshot', () => {
  expect(tf).toMatchSnapshot();
});

test('the administrator\'s run registers the resource providers the stacks use; no provider registers on its own', () => {
  for (const provider of tf.provider?.azurerm ?? []) {
    expect(provider).toMatchObject({ resource_provider_registrations: 'none', resource_providers_to_register: RESOURCE_PROVIDERS.map((p) => p.namespace) });
  }
});

describe('resource provider registration', () => {
  // Namespaces as azurerm lists them (internal/resourceproviders/required.go at v4.55.0), which is the casing Azure
  // returns and the casing azurerm's case-sensitive lookup matches.
  const AZURERM_CASING = [
    'Microsoft.Authorization', 'Microsoft.Compute', 'Microsoft.ContainerRegistry', 'Microsoft.ContainerService',
    'Microsoft.KubernetesConfiguration', 'Microsoft.ManagedIdentity', 'Microsoft.Network', 'Microsoft.OperationalInsights',
    'Microsoft.OperationsManagement', 'Microsoft.PolicyInsights', 'Microsoft.Resources', 'Microsoft.Storage', 'microsoft.insights',
  ];
  // What each resource type (or cluster add-on) the stacks create needs registered.
  const NEEDS: Record<string, readonly string[]> = {
    azurerm_resource_group: ['Microsoft.Resources'],
    azurerm_storage_account: ['Microsoft.Storage'],
    azurerm_storage_container: ['Microsoft.Storage'],
    azurerm_management_lock: ['Microsoft.Authorization'],
    azurerm_role_assignment: ['Microsoft.Authorization'],
    azurerm_role_definition: ['Microsoft.Authorization'],
    azurerm_user_assigned_identity: ['Microsoft.ManagedIdentity'],
    azurerm_federated_identity_credential: ['Microsoft.ManagedIdentity'],
    azurerm_container_registry: ['Microsoft.ContainerRegistry'],
    azurerm_kubernetes_cluster: ['Microsoft.ContainerService', 'Microsoft.Compute', 'Microsoft.Network'],
    azurerm_kubernetes_cluster_node_pool: ['Microsoft.ContainerService', 'Microsoft.Compute'],
    azurerm_log_analytics_workspace: ['Microsoft.OperationalInsights'],
    azurerm_monitor_data_collection_rule: ['microsoft.insights'],
    azurerm_monitor_data_collection_rule_association: ['microsoft.insights'],
    azure_policy_enabled: ['Microsoft.PolicyInsights'],
    oms_agent: ['Microsoft.OperationsManagement'],
  };
  const registered = RESOURCE_PROVIDERS.map((p) => p.namespace);

  test('every namespace is spelled as azurerm matches it: microsoft.insights, not Microsoft.Insights', () => {
    for (const namespace of registered) expect(AZURERM_CASING).toContain(namespace);
    expect(registered).toContain('microsoft.insights');
    expect(registered).not.toContain('Microsoft.Insights');
  });

  test('covers every resource type and cluster add-on that state-bootstrap and the platform stacks create', () => {
    const stacks = [tf, ...ENVIRONMENT_NAMES.map((env) => synthStack(new PlatformStack(Testing.app(), `platform-${env}`, { env: config.environments[env], state: config.state, repository: config.repository })))];
    const needed = new Set<string>();
    for (const stack of stacks) {
      for (const [type, byId] of Object.entries(stack.resource ?? {})) {
        if (!type.startsWith('azurerm_')) continue;
        expect({ type, known: type in NEEDS }).toEqual({ type, known: true });
        NEEDS[type].forEach((n) => needed.add(n));
        for (const r of Object.values(byId)) for (const addOn of ['azure_policy_enabled', 'oms_agent']) if (r[addOn]) NEEDS[addOn].forEach((n) => needed.add(n));
      }
    }
    expect(needed).toContain('Microsoft.PolicyInsights');
    expect(registered.filter((n) => needed.has(n)).sort()).toEqual([...needed].sort());
  });
});

test('local state, kept at the repository root where .gitignore keeps it out of git', () => {
  expect((tf.terraform as { backend: unknown }).backend).toEqual({ local: { path: '../../../terraform.state-bootstrap.tfstate' } });
});

describe('the state storage account', () => {
  const account = only(tf, 'azurerm_storage_account');

  test('versioning, soft delete for blobs and containers, TLS 1.2, no public blobs, no shared keys', () => {
    expect(account).toMatchObject({
      name: config.state.storageAccountName,
      location: config.state.location,
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      blob_properties: {
        versioning_enabled: true,
        delete_retention_policy: { days: 30 },
        container_delete_retention_policy: { days: 30 },
      },
    });
  });

  test('is protected: prevent_destroy and a CanNotDelete management lock', () => {
    expect(account.lifecycle).toEqual({ prevent_destroy: true });
    expect(only(tf, 'azurerm_management_lock')).toMatchObject({ lock_level: 'CanNotDelete', scope: ref(tf, 'azurerm_storage_account', 'id') });
  });

  test('one private container per environment, the ones the backends point to', () => {
    const containers = Object.values(resources(tf, 'azurerm_storage_container'));
    expect(containers.map((c) => c.name).sort()).toEqual(ENVIRONMENT_NAMES.map((e) => config.environments[e].stateContainerName).sort());
    for (const c of containers) expect(c).toMatchObject({ storage_account_id: ref(tf, 'azurerm_storage_account', 'id'), container_access_type: 'private' });
    for (const env of ENVIRONMENT_NAMES) {
      const platform = synthStack(new PlatformStack(Testing.app(), `platform-${env}`, { env: config.environments[env], state: config.state, repository: config.repository }));
      expect((platform.terraform as { backend: { azurerm: Record<string, unknown> } }).backend.azurerm).toMatchObject({
        storage_account_name: account.name,
        resource_group_name: config.state.resourceGroupName,
        container_name: config.environments[env].stateContainerName,
      });
    }
  });
});

describe.each(ENVIRONMENT_NAMES)('environment %s', (name) => {
  const env = config.environments[name];
  const identity = byName('azurerm_user_assigned_identity', `id-github-infra-${name}`);
  const group = byName('azurerm_resource_group', env.resourceGroupName);
  const assignments = Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.principal_id === identity.ref('principal_id'));

  test('creates the resource group the platform stack uses', () => {
    expect(group.resource).toMatchObject({ location: env.location });
  });

  test('the infrastructure deployer trusts exactly the environment subject', () => {
    const creds = Object.values(resources(tf, 'azurerm_federated_identity_credential')).filter((c) => c.parent_id === identity.ref('id'));
    expect(creds.map((c) => c.subject)).toEqual([`repo:${config.repository}:environment:${env.github.environment}`]);
  });

  test('lives in the state resource group, where no deployer holds a right, so it cannot re-federate itself', () => {
    expect(identity.resource).toMatchObject({ resource_group_name: '${azurerm_resource_group.state-resource-group.name}', location: config.state.location });
    const stateGroupId = '${azurerm_resource_group.state-resource-group.id}';
    expect(Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.scope === stateGroupId)).toEqual([]);
  });

  test('its roles: narrow built-in roles on the resource group, constrained delegation, its state container', () => {
    const container = `\${azurerm_storage_container.${Object.entries(resources(tf, 'azurerm_storage_container')).find(([, c]) => c.name === env.stateContainerName)?.[0]}.id}`;
    const operator = byName('azurerm_role_definition', aksOperatorRoleName(env.subscriptionId, env.resourceGroupName));
    expect(assignments.map((a) => [a.role_definition_name ?? a.role_definition_id, a.scope]).sort()).toEqual(
      [
        ...INFRA_DEPLOYER_ROLES.map(({ role }) => [role, group.ref('id')]),
        [operator.ref('role_definition_resource_id'), group.ref('id')],
        ['Role Based Access Control Administrator', group.ref('id')],
        ['Role Based Access Control Administrator', container],
        ['Storage Blob Data Contributor', container],
      ].sort(),
    );
    for (const a of assignments) {
      expect(['Owner', 'Contributor', 'User Access Administrator']).not.toContain(a.role_definition_name);
      expect(String(a.scope)).not.toMatch(/^\/subscriptions\/[^/]+$/);
    }
  });

  test('the custom AKS operator role adds exactly node pools, cluster deletion and the user kubeconfig, only in its resource group', () => {
    const operator = byName('azurerm_role_definition', aksOperatorRoleName(env.subscriptionId, env.resourceGroupName));
    expect(operator.resource).toMatchObject({
      scope: group.ref('id'),
      assignable_scopes: [group.ref('id')],
      permissions: [{ actions: [...AKS_OPERATOR_ACTIONS] }],
    });
  });

  test('it may assign only the roles the platform stack assigns, only to service principals', () => {
    const delegations = assignments.filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    const allowed = (scope: string) => (scope === group.ref('id') ? PLATFORM_ASSIGNED_ROLES.environment : PLATFORM_ASSIGNED_ROLES.state);
    for (const d of delegations) {
      expect(d.condition_version).toBe('2.0');
      const condition = String(d.condition);
      const guids = [...new Set(condition.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g))].sort();
      expect(guids).toEqual(allowed(String(d.scope)).map((r) => BUILT_IN_ROLE_IDS[r]).sort());
      expect(condition).toContain("ActionMatches{'Microsoft.Authorization/roleAssignments/write'}");
      expect(condition).toContain("ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}");
      expect(condition).toContain("@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}");
    }
  });

  test('the GitHub environment with its protection rules and the deployer secrets', () => {
    const environment = Object.values(resources(tf, 'github_repository_environment')).find((e) => e.environment === env.github.environment);
    const { users, teams } = env.github.reviewers;
    expect(environment).toMatchObject({ repository: config.repository.split('/')[1], can_admins_bypass: false });
    // A branch policy on every environment: otherwise a workflow on any branch that declares it signs in as its deployers.
    const policy = env.github.branchPolicy;
    expect(environment?.deployment_branch_policy).toEqual(
      policy === 'protected' ? { protected_branches: true, custom_branch_policies: false } : { protected_branches: false, custom_branch_policies: true },
    );
    if (users.length + teams.length > 0) expect(environment?.reviewers).toEqual([{ users: [...users], teams: [...teams] }]);
    else expect(environment?.reviewers).toBeUndefined();
    const secrets = Object.fromEntries(
      Object.values(resources(tf, 'github_actions_environment_secret'))
        .filter((s) => String(s.environment).includes(`github-environment-${name}_`))
        .map((s) => [s.secret_name, s.plaintext_value]),
    );
    expect(secrets).toEqual({
      AZURE_INFRA_CLIENT_ID: identity.ref('client_id'),
      AZURE_INFRA_TENANT_ID: identity.ref('tenant_id'),
      AZURE_INFRA_SUBSCRIPTION_ID: env.subscriptionId,
    });
  });
});

test('custom role names are unique in the tenant: two subscriptions with the same resource group names do not collide', () => {
  const c = configCopy();
  const other = '0f0f0f0f-1111-2222-3333-444444444444';
  c.environments.staging.subscriptionId = other;
  c.environments.staging.resourceGroupName = c.environments.dev.resourceGroupName;
  const twoSubs = synthStack(new StateBootstrapStack(Testing.app(), 'state-bootstrap', c as PlatformConfig));
  const names = Object.values(resources(twoSubs, 'azurerm_role_definition')).map((d) => String(d.name));
  expect(new Set(names).size).toBe(names.length);
  for (const name of names) expect(name).toMatch(/\([0-9a-f-]{36}\/[^)]+\)$/);
  expect(names).toContain(`AKS node pool operator (${other}/${c.environments.dev.resourceGroupName})`);
});

test('prod requires reviewers, no self-review, and deploys only from protected branches', () => {
  const prod = Object.values(resources(tf, 'github_repository_environment')).find((e) => e.environment === config.environments.prod.github.environment);
  expect(prod).toMatchObject({
    reviewers: [{ users: [...config.environments.prod.github.reviewers.users], teams: [...config.environments.prod.github.reviewers.teams] }],
    prevent_self_review: true,
    can_admins_bypass: false,
    deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
  });
});

test('the roles every platform stack assigns are within what the deployer may delegate', () => {
  for (const env of ENVIRONMENT_NAMES) {
    const platform: TfJson = synthStack(new PlatformStack(Testing.app(), `platform-${env}`, { env: config.environments[env], state: config.state, repository: config.repository }));
    for (const a of Object.values(resources(platform, 'azurerm_role_assignment'))) {
      const allowed: readonly string[] = String(a.scope).startsWith('/subscriptions/') ? PLATFORM_ASSIGNED_ROLES.state : PLATFORM_ASSIGNED_ROLES.environment;
      expect(allowed).toContain(a.role_definition_name);
    }
  }
});

test('an environment in another subscription gets its own aliased provider', () => {
  const c = configCopy();
  c.environments.prod.subscriptionId = '99999999-8888-7777-6666-555555555555';
  const other = synthStack(new StateBootstrapStack(Testing.app(), 'state-bootstrap', c as PlatformConfig));
  const alias = 'sub_99999999_8888_7777_6666_555555555555';
  expect(other.provider?.azurerm).toEqual(expect.arrayContaining([expect.objectContaining({ alias, subscription_id: '99999999-8888-7777-6666-555555555555' })]));
  const prodGroup = Object.values(resources(other, 'azurerm_resource_group')).find((g) => g.name === c.environments.prod.resourceGroupName);
  expect(prodGroup?.provider).toBe(`azurerm.${alias}`);
  const prodRoles = Object.entries(resources(other, 'azurerm_role_assignment')).filter(([id]) => id.startsWith('infra-prod-') && !id.includes('state'));
  expect(prodRoles.length).toBeGreaterThan(0);
  for (const [, a] of prodRoles) expect(a.provider).toBe(`azurerm.${alias}`);
  const prodIdentity = Object.values(resources(other, 'azurerm_user_assigned_identity')).find((i) => i.name === 'id-github-infra-prod');
  expect(prodIdentity?.provider).toBeUndefined();
});
