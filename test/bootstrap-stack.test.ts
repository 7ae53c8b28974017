import { Testing } from 'cdktf';
import {
  AKS_OPERATOR_ACTIONS, CLOUD_BUILD_ACTIONS, GITOPS_DEPLOYER_ROLES, cloudBuildRoleName, GITOPS_OPERATOR_ACTIONS, aksOperatorRoleName, stateRoleName, INFRA_DEPLOYER_ROLES, RESOURCE_PROVIDERS, StateBootstrapStack,
} from '../stacks/bootstrap-stack';
import { PlatformConfig, config as shipped } from '../stacks/environments';
import { PLATFORM_ASSIGNED_ROLES } from '../stacks/props';
import { BUILT_IN_ROLE_IDS, STATE_READ_DATA_ACTIONS, STATE_WRITE_DATA_ACTIONS, stateBlobCondition } from '../constructs/role-conditions';
import { TfJson, config, configCopy, only, ref, resources, synthStack, synthesizedStacks } from './helpers';

const tf = synthStack(new StateBootstrapStack(Testing.app(), 'state-bootstrap', config));
const ENVIRONMENT_NAMES = Object.keys(config.environments);
const byName = (type: string, name: string) => {
  const entry = Object.entries(resources(tf, type)).find(([, r]) => r.name === name);
  if (!entry) throw new Error(`no ${type} named ${name}`);
  return { id: entry[0], resource: entry[1], ref: (attr: string) => `\${${type}.${entry[0]}.${attr}}` };
};

// The shipped configuration: the plan a pull request reviews.
test('matches the committed snapshot', () => {
  expect(synthStack(new StateBootstrapStack(Testing.app(), 'state-bootstrap', shipped))).toMatchSnapshot();
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
    azurerm_container_registry_task: ['Microsoft.ContainerRegistry'],
    azurerm_kubernetes_cluster_extension: ['Microsoft.KubernetesConfiguration'],
    azurerm_kubernetes_flux_configuration: ['Microsoft.KubernetesConfiguration'],
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
    const app = synthesizedStacks('fixture');
    const stacks = [tf, ...ENVIRONMENT_NAMES.map((env) => app[`platform-${env}`])];
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

  test('geo-zone-redundant, versioning, soft delete for blobs and containers, TLS 1.2, no public blobs, no shared keys or local users', () => {
    expect(account).toMatchObject({
      name: config.state.storageAccountName,
      location: config.state.location,
      min_tls_version: 'TLS1_2',
      account_replication_type: 'GZRS',
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      local_user_enabled: false,
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
    const app = synthesizedStacks('fixture');
    for (const env of ENVIRONMENT_NAMES) {
      const platform = app[`platform-${env}`];
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
  const [app] = env.applications;
  const deploy = byName('azurerm_user_assigned_identity', `id-github-deploy-${name}-${app.name}`);
  const plan = byName('azurerm_user_assigned_identity', `id-github-plan-${name}`);
  const group = byName('azurerm_resource_group', env.resourceGroupName);
  const stateGroupId = '${azurerm_resource_group.state-resource-group.id}';
  const allAssignments = Object.values(resources(tf, 'azurerm_role_assignment'));
  const assignments = allAssignments.filter((a) => a.principal_id === identity.ref('principal_id'));
  const reader = byName('azurerm_role_definition', stateRoleName('reader', config.state.subscriptionId, config.state.resourceGroupName));
  const writer = byName('azurerm_role_definition', stateRoleName('writer', config.state.subscriptionId, config.state.resourceGroupName));

  test('creates the resource group the platform stack uses', () => {
    expect(group.resource).toMatchObject({ location: env.location });
  });

  test('the deployers trust exactly the environment subject, the planner exactly pull requests', () => {
    const subjects = (who: typeof identity) => Object.values(resources(tf, 'azurerm_federated_identity_credential')).filter((c) => c.parent_id === who.ref('id')).map((c) => c.subject);
    expect(subjects(identity)).toEqual([`repo:${config.repository}:environment:${env.github.environment}`]);
    expect(subjects(deploy)).toEqual([`repo:${config.repository}:environment:${env.github.environment}`]);
    expect(subjects(plan)).toEqual([`repo:${config.repository}:pull_request`]);
  });

  test('all three live in the state resource group, where no deployer holds a control-plane right, so none can re-federate itself', () => {
    for (const who of [identity, deploy, plan]) {
      expect(who.resource).toMatchObject({ resource_group_name: '${azurerm_resource_group.state-resource-group.name}', location: config.state.location });
    }
    // At the state resource group: only the two data-actions-only state roles (each narrowed by a condition).
    for (const a of allAssignments.filter((a) => a.scope === stateGroupId)) {
      expect([reader.ref('role_definition_resource_id'), writer.ref('role_definition_resource_id')]).toContain(a.role_definition_id);
    }
    for (const role of [reader, writer]) {
      const permissions = role.resource.permissions as Array<Record<string, unknown>>;
      expect(permissions).toHaveLength(1);
      expect(permissions[0].actions).toBeUndefined();
      expect(role.resource).toMatchObject({ scope: stateGroupId, assignable_scopes: [stateGroupId] });
    }
    expect(reader.resource.permissions).toEqual([{ data_actions: [...STATE_READ_DATA_ACTIONS] }]);
    expect(writer.resource.permissions).toEqual([{ data_actions: [...STATE_WRITE_DATA_ACTIONS] }]);
    // On the identities themselves: Reader only, for the platform stack's lookups.
    for (const who of [identity, deploy, plan]) {
      for (const a of allAssignments.filter((a) => a.scope === who.ref('id'))) expect(a.role_definition_name).toBe('Reader');
    }
  });

  test('state access: each reads only its environment\'s container and writes only its own stack\'s state file', () => {
    const stateOf = (who: typeof identity) => allAssignments.filter((a) => a.principal_id === who.ref('principal_id') && a.scope === stateGroupId);
    const expected = [
      // Push environments: platform-<env>.tfstate and platform-<env>-admission.tfstate; GitOps: the platform's only.
      [identity, writer, env.delivery === 'push' ? `platform-${name}` : `platform-${name}.tfstate`],
      [plan, reader, undefined],
      // With GitOps no workload stack exists, so its deployer has no state at all.
      ...(env.delivery === 'push' ? [[deploy, writer, `workload-${name}-${app.name}.tfstate`] as const] : []),
    ] as const;
    if (env.delivery === 'gitops') expect(stateOf(deploy)).toEqual([]);
    for (const [who, role, writable] of expected) {
      const grants = stateOf(who);
      expect(grants).toHaveLength(1);
      expect(grants[0]).toMatchObject({
        role_definition_id: role.ref('role_definition_resource_id'),
        condition_version: '2.0',
        condition: stateBlobCondition({ storageAccountName: '${azurerm_storage_account.state.name}', containerName: `\${azurerm_storage_container.state-${name}.name}`, writablePathPrefix: writable }),
      });
    }
  });

  test('the infrastructure deployer: narrow built-in roles on the resource group, node pools, constrained delegation', () => {
    const operator = byName('azurerm_role_definition', aksOperatorRoleName(env.subscriptionId, env.resourceGroupName));
    expect(assignments.filter((a) => a.scope === group.ref('id')).map((a) => [a.role_definition_name ?? a.role_definition_id, a.scope]).sort()).toEqual(
      [
        ...INFRA_DEPLOYER_ROLES.map(({ role }) => [role, group.ref('id')]),
        // GitOps environments: the storage account Flux reads from.
        ...(env.delivery === 'gitops' ? GITOPS_DEPLOYER_ROLES.map(({ role }) => [role, group.ref('id')]) : []),
        [operator.ref('role_definition_resource_id'), group.ref('id')],
        ['Role Based Access Control Administrator', group.ref('id')],
      ].sort(),
    );
    for (const a of assignments) {
      expect([group.ref('id'), stateGroupId, deploy.ref('id'), plan.ref('id')]).toContain(a.scope);
      expect(['Owner', 'Contributor', 'User Access Administrator']).not.toContain(a.role_definition_name);
      expect(String(a.scope)).not.toMatch(/^\/subscriptions\/[^/]+$/);
    }
  });

  test('the custom AKS operator role adds exactly node pools, cluster deletion and the user kubeconfig (and with GitOps the Flux extension and configuration), only in its resource group', () => {
    const operator = byName('azurerm_role_definition', aksOperatorRoleName(env.subscriptionId, env.resourceGroupName));
    expect(operator.resource).toMatchObject({
      scope: group.ref('id'),
      assignable_scopes: [group.ref('id')],
      permissions: [{ actions: [...AKS_OPERATOR_ACTIONS, ...(env.delivery === 'gitops' ? GITOPS_OPERATOR_ACTIONS : [])] }],
    });
    for (const action of GITOPS_OPERATOR_ACTIONS) expect(action).toMatch(/^Microsoft\.KubernetesConfiguration\/(extensions|fluxConfigurations)\//);
  });

  test('it may assign only the roles the platform stack assigns, only to service principals', () => {
    const delegations = assignments.filter((a) => a.role_definition_name === 'Role Based Access Control Administrator');
    expect(delegations.map((d) => d.scope)).toEqual([group.ref('id')]);
    for (const d of delegations) {
      expect(d.condition_version).toBe('2.0');
      const condition = String(d.condition);
      const guids = [...new Set(condition.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g))].sort();
      expect(guids).toEqual(PLATFORM_ASSIGNED_ROLES.map((r) => BUILT_IN_ROLE_IDS[r]).sort());
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
      AZURE_CLIENT_ID: deploy.ref('client_id'),
      AZURE_TENANT_ID: deploy.ref('tenant_id'),
      AZURE_SUBSCRIPTION_ID: env.subscriptionId,
    });
  });

  test('pull-request jobs read the plan identity from repository variables', () => {
    const variables = Object.fromEntries(Object.values(resources(tf, 'github_actions_variable'))
      .filter((v) => String(v.variable_name).startsWith(`PLAN_${name.toUpperCase()}_`)).map((v) => [v.variable_name, v.value]));
    expect(variables).toEqual({
      [`PLAN_${name.toUpperCase()}_AZURE_CLIENT_ID`]: plan.ref('client_id'),
      [`PLAN_${name.toUpperCase()}_AZURE_TENANT_ID`]: plan.ref('tenant_id'),
      [`PLAN_${name.toUpperCase()}_AZURE_SUBSCRIPTION_ID`]: env.subscriptionId,
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
  const app = synthesizedStacks('fixture');
  for (const env of ENVIRONMENT_NAMES) {
    const platform: TfJson = app[`platform-${env}`];
    for (const a of Object.values(resources(platform, 'azurerm_role_assignment'))) {
      expect(PLATFORM_ASSIGNED_ROLES).toContain(a.role_definition_name);
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
  const prodGroupId = `\${azurerm_resource_group.${Object.entries(resources(other, 'azurerm_resource_group')).find(([, g]) => g.name === c.environments.prod.resourceGroupName)?.[0]}.id}`;
  const prodRoles = Object.entries(resources(other, 'azurerm_role_assignment')).filter(([, a]) => a.scope === prodGroupId);
  expect(prodRoles.length).toBeGreaterThan(0);
  for (const [, a] of prodRoles) expect(a.provider).toBe(`azurerm.${alias}`);
  const prodIdentity = Object.values(resources(other, 'azurerm_user_assigned_identity')).find((i) => i.name === 'id-github-infra-prod');
  expect(prodIdentity?.provider).toBeUndefined();
});

describe('management locks', () => {
  // A CanNotDelete lock also blocks deleting role assignments at or under its scope (terraform-provider-azurerm#11770),
  // and every role-assignment argument forces a new assignment: such an assignment could never be changed or removed.
  const stacks = synthesizedStacks('fixture');

  /** What each lock covers in the stack that declares it: Terraform references and, where knowable, literal resource IDs. */
  const locked = Object.values(stacks).flatMap((stack) => Object.values(resources(stack, 'azurerm_management_lock')).map((lock) => {
    const target = /^\$\{(azurerm_[a-z_]+)\.([\w-]+)\.id\}$/.exec(String(lock.scope));
    if (!target) throw new Error(`lock scope ${String(lock.scope)} is not a resource reference this test understands`);
    const [type, id] = [target[1], target[2]];
    expect(type).toBe('azurerm_storage_account'); // a new kind of lock needs its literal ID form below
    const account = resources(stack, type)[id];
    const groupRef = /^\$\{azurerm_resource_group\.([\w-]+)\.name\}$/.exec(String(account.resource_group_name));
    const groupName = groupRef ? resources(stack, 'azurerm_resource_group')[groupRef[1]].name : account.resource_group_name;
    const literal = `/resourceGroups/${String(groupName)}/providers/Microsoft.Storage/storageAccounts/${String(account.name)}`.toLowerCase();
    // Children: resources of the same stack whose arguments point at the locked resource's ID.
    const children = Object.entries(stack.resource ?? {}).flatMap(([childType, byId]) => Object.entries(byId)
      .filter(([, r]) => Object.values(r).includes(String(lock.scope)))
      .map(([childId]) => `\${${childType}.${childId}.`));
    return { stack, refs: [String(lock.scope).slice(0, -'id}'.length), ...children], literal };
  }));

  test('state-bootstrap locks the state storage account', () => {
    expect(locked).toHaveLength(1);
  });

  test('no role assignment in any stack has a scope at or under a locked resource', () => {
    for (const [name, stack] of Object.entries(stacks)) {
      for (const [id, a] of Object.entries(resources(stack, 'azurerm_role_assignment'))) {
        const scope = String(a.scope);
        for (const lock of locked) {
          const under = scope.toLowerCase().includes(lock.literal) || (lock.stack === stack && lock.refs.some((r) => scope.startsWith(r)));
          expect({ stack: name, assignment: id, scope, under }).toEqual({ stack: name, assignment: id, scope, under: false });
        }
      }
    }
  });
});

describe('az acr build for the deployers (registry.cloudBuild)', () => {
  test('a quick-run-only custom role at the environment resource group, for each application deployer, only where enabled', () => {
    for (const [name, env] of Object.entries(config.environments)) {
      const role = Object.values(resources(tf, 'azurerm_role_definition')).find((r) => r.name === cloudBuildRoleName(env.subscriptionId, env.resourceGroupName));
      const group = byName('azurerm_resource_group', env.resourceGroupName);
      const grants = Object.entries(resources(tf, 'azurerm_role_assignment')).filter(([id]) => id.startsWith(`deploy-${name}-`) && id.endsWith('-cloud-build'));
      if (!env.registry.cloudBuild) {
        expect({ name, role, grants }).toEqual({ name, role: undefined, grants: [] });
        continue;
      }
      expect(role).toMatchObject({ scope: group.ref('id'), assignable_scopes: [group.ref('id')], permissions: [{ actions: [...CLOUD_BUILD_ACTIONS] }] });
      for (const action of CLOUD_BUILD_ACTIONS) expect(action).toMatch(/^Microsoft\.ContainerRegistry\/registries\/(read|listBuildSourceUploadUrl\/action|scheduleRun\/action|runs\/read|runs\/listLogSasUrl\/action)$/);
      expect(grants.map(([, a]) => [a.principal_id, a.scope])).toEqual(env.applications.map((app) => [byName('azurerm_user_assigned_identity', `id-github-deploy-${name}-${app.name}`).ref('principal_id'), group.ref('id')]));
    }
  });
});
