import { Testing } from 'cdktf';
import { config as shipped } from '../stacks/environments';
import { PlatformStack } from '../stacks/platform-stack';
import { TfJson, config, only, ref, resources, synthStack } from './helpers';

const ENVIRONMENT_NAMES = Object.keys(config.environments);
const synthEnv = (name: string, cfg = config): TfJson =>
  synthStack(new PlatformStack(Testing.app(), `platform-${name}`, { env: cfg.environments[name], state: cfg.state, repository: cfg.repository }));
const stacks = Object.fromEntries(ENVIRONMENT_NAMES.map((n) => [n, synthEnv(n)])) as Record<string, TfJson>;
/** The principal ID reference of the registry purge task's identity. */
const purgeIdentity = (tf: TfJson) => {
  const [id] = Object.entries(resources(tf, 'azurerm_user_assigned_identity')).find(([, i]) => String(i.name).startsWith('id-acr-purge-')) ?? [];
  if (id === undefined) throw new Error('no purge identity');
  return `\${azurerm_user_assigned_identity.${id}.principal_id}`;
};
const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as Record<string, unknown>;

describe.each(ENVIRONMENT_NAMES)('platform-%s', (name) => {
  const tf = stacks[name];
  const env = config.environments[name];

  // The shipped configuration: the plan a pull request reviews.
  test('matches the committed snapshot', () => {
    expect(synthEnv(name, shipped)).toMatchSnapshot();
  });

  test('azurerm backend with Entra ID auth and one state key per stack', () => {
    expect((tf.terraform as { backend: unknown }).backend).toEqual({
      azurerm: {
        subscription_id: config.state.subscriptionId,
        tenant_id: config.state.tenantId,
        resource_group_name: config.state.resourceGroupName,
        storage_account_name: config.state.storageAccountName,
        container_name: env.stateContainerName,
        key: `platform-${name}.tfstate`,
        use_azuread_auth: true,
      },
    });
  });

  test('azurerm provider pinned to the environment subscription, no credentials in code', () => {
    expect(tf.provider?.azurerm).toEqual([
      // No storage data-plane calls (the GitOps account grants no data role to deployers or the planner).
      { features: [{ storage: [{ data_plane_available: false }] }], subscription_id: env.subscriptionId, tenant_id: env.tenantId, storage_use_azuread: true, resource_provider_registrations: 'none' },
    ]);
  });

  test('registry, cluster and workspace live in the resource group state-bootstrap created, in the environment location', () => {
    const rgName = '${data.azurerm_resource_group.resource-group.name}';
    expect(tf.data?.azurerm_resource_group?.['resource-group']).toEqual({ name: env.resourceGroupName });
    expect(resources(tf, 'azurerm_resource_group')).toEqual({});
    for (const type of ['azurerm_container_registry', 'azurerm_kubernetes_cluster', 'azurerm_log_analytics_workspace']) {
      expect(only(tf, type)).toMatchObject({ resource_group_name: rgName, location: env.location });
    }
  });

  test('the cluster sends Container Insights to the stack workspace', () => {
    expect(first(only(tf, 'azurerm_kubernetes_cluster').oms_agent).log_analytics_workspace_id).toBe(ref(tf, 'azurerm_log_analytics_workspace', 'id'));
    expect(only(tf, 'azurerm_log_analytics_workspace')).toMatchObject({ sku: 'PerGB2018', retention_in_days: env.logAnalyticsRetentionDays, local_authentication_enabled: false });
    expect(only(tf, 'azurerm_monitor_data_collection_rule_association')).toMatchObject({
      target_resource_id: ref(tf, 'azurerm_kubernetes_cluster', 'id'),
      data_collection_rule_id: ref(tf, 'azurerm_monitor_data_collection_rule', 'id'),
    });
  });

  test('the cluster is attached to the registry: AcrPull for the kubelet identity at the registry id', () => {
    // The kubelet's pull, and no other principal's except the purge task's identity (it lists what it deletes).
    const pulls = Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.role_definition_name === 'AcrPull' && a.principal_id !== purgeIdentity(tf));
    expect(pulls).toEqual([
      expect.objectContaining({
        principal_id: `\${${ref(tf, 'azurerm_kubernetes_cluster', 'kubelet_identity').slice(2, -1)}[0].object_id}`,
        scope: ref(tf, 'azurerm_container_registry', 'id'),
      }),
    ]);
  });

  test('the registry and cluster refuse destruction exactly when the environment is protected', () => {
    const lifecycle = env.protected ? { prevent_destroy: true } : undefined;
    expect(only(tf, 'azurerm_container_registry').lifecycle).toEqual(lifecycle);
    expect(only(tf, 'azurerm_kubernetes_cluster').lifecycle).toEqual(lifecycle);
  });

  test('registry settings come from the environment', () => {
    expect(only(tf, 'azurerm_container_registry')).toMatchObject({
      name: env.registry.name,
      sku: 'Premium',
      admin_enabled: false,
      zone_redundancy_enabled: env.registry.zoneRedundancyEnabled,
      retention_policy_in_days: env.registry.retentionDays,
    });
  });

  test('outputs the registry and cluster identifiers', () => {
    expect(tf.output).toMatchObject({
      registry_id: { value: ref(tf, 'azurerm_container_registry', 'id') },
      registry_name: { value: ref(tf, 'azurerm_container_registry', 'name') },
      registry_login_server: { value: ref(tf, 'azurerm_container_registry', 'login_server') },
      cluster_id: { value: ref(tf, 'azurerm_kubernetes_cluster', 'id') },
      cluster_name: { value: ref(tf, 'azurerm_kubernetes_cluster', 'name') },
      cluster_oidc_issuer_url: { value: ref(tf, 'azurerm_kubernetes_cluster', 'oidc_issuer_url') },
    });
  });
});

describe('per-environment differences', () => {
  test('each environment replicates to its configured regions, zone-redundant, in alphabetical order of location', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const registry = only(stacks[name], 'azurerm_container_registry');
      const replicas = [...config.environments[name].registry.geoReplications].map((r) => r.location).sort();
      expect(registry.location).toBe(config.environments[name].location);
      expect(((registry.georeplications ?? []) as Array<Record<string, unknown>>).map((r) => [r.location, r.zone_redundancy_enabled])).toEqual(replicas.map((l) => [l, true]));
    }
    expect(config.environments.prod.registry.geoReplications.length).toBeGreaterThan(1);
  });

  test('prod runs the Standard tier with zonal pools; dev says explicitly that it runs Free', () => {
    const prod = only(stacks.prod, 'azurerm_kubernetes_cluster');
    expect(prod.sku_tier).toBe('Standard');
    expect(first(prod.default_node_pool).zones).toEqual(['1', '2', '3']);
    expect(only(stacks.prod, 'azurerm_kubernetes_cluster_node_pool').zones).toEqual(['1', '2', '3']);
    expect(config.environments.dev.cluster.skuTier).toBe('Free');
    expect(only(stacks.dev, 'azurerm_kubernetes_cluster').sku_tier).toBe('Free');
  });

  test('prod restricts the API server to its authorized ranges', () => {
    expect(first(only(stacks.prod, 'azurerm_kubernetes_cluster').api_server_access_profile)).toEqual({
      authorized_ip_ranges: [...config.environments.prod.cluster.authorizedIpRanges],
    });
  });

  test('each environment has its own state key and container', () => {
    const keys = ENVIRONMENT_NAMES.map((n) => JSON.stringify((stacks[n].terraform as { backend: unknown }).backend));
    expect(new Set(keys).size).toBe(3);
  });
});

describe.each(ENVIRONMENT_NAMES)('platform-%s registry purge', (name) => {
  const tf = stacks[name];
  const env = config.environments[name];
  const task = only(tf, 'azurerm_container_registry_task');
  const identityId = `\${${purgeIdentity(tf).slice(2, -'.principal_id}'.length)}`;
  const content = String(first(task.encoded_step).task_content);

  test('one timer task in the registry, on the configured cron', () => {
    expect(task.container_registry_id).toBe(ref(tf, 'azurerm_container_registry', 'id'));
    expect(first(task.platform)).toEqual({ os: 'Linux' });
    expect(task.timer_trigger).toEqual([{ name: 'purge-schedule', schedule: env.registry.purge.schedule, enabled: true }]);
    expect(task.enabled).toBeUndefined();
  });

  test("runs acr purge on every application's repository with the configured age and keep, and untagged manifests", () => {
    const filters = env.applications.map((a) => `--filter '${a.imageName}:.*'`).join(' ');
    expect(content).toContain(`cmd: acr purge ${filters} --ago ${env.registry.purge.olderThanDays}d --keep ${env.registry.purge.keep} --untagged`);
  });

  test('runs as its own identity: user-assigned, signing in to the registry itself, no credential in the task', () => {
    const identity = Object.values(resources(tf, 'azurerm_user_assigned_identity')).find((i) => i.name === `id-acr-purge-${name}`);
    expect(identity).toMatchObject({ location: env.location, resource_group_name: '${data.azurerm_resource_group.resource-group.name}' });
    expect(first(task.identity)).toEqual({ type: 'UserAssigned', identity_ids: [`${identityId}.id}`] });
    const credential = first(task.registry_credential);
    expect(first(credential.source)).toEqual({ login_mode: 'None' });
    expect(credential.custom).toEqual([{ login_server: ref(tf, 'azurerm_container_registry', 'login_server'), identity: `${identityId}.client_id}` }]);
    expect(JSON.stringify(task)).not.toMatch(/password|username|secret|token/i);
    expect(only(tf, 'azurerm_container_registry').admin_enabled).toBe(false);
  });

  test("its identity holds exactly AcrDelete and AcrPull, at the registry's scope", () => {
    const roles = Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.principal_id === purgeIdentity(tf));
    expect(roles.map((r) => [r.role_definition_name, r.scope]).sort()).toEqual([
      ['AcrDelete', ref(tf, 'azurerm_container_registry', 'id')],
      ['AcrPull', ref(tf, 'azurerm_container_registry', 'id')],
    ]);
  });
});

test('prod keeps more tags, for longer, than dev', () => {
  expect(config.environments.prod.registry.purge.keep).toBeGreaterThan(config.environments.dev.registry.purge.keep);
  expect(shipped.environments.prod.registry.purge.keep).toBeGreaterThan(shipped.environments.dev.registry.purge.keep);
  expect(shipped.environments.prod.registry.purge.olderThanDays).toBeGreaterThan(shipped.environments.dev.registry.purge.olderThanDays);
});

describe('GitHub Actions wiring', () => {
  const REPO = config.repository;
  const RG_ID = '${data.azurerm_resource_group.resource-group.id}';
  const assignments = (tf: TfJson) => Object.values(resources(tf, 'azurerm_role_assignment'));
  /** The data source platform-<env> looks an identity up with, and the reference to one of its attributes. */
  const identityRef = (tf: TfJson, name: string, attr: string) => {
    const [id] = Object.entries(tf.data?.azurerm_user_assigned_identity ?? {}).find(([, r]) => r.name === name) ?? [];
    if (!id) throw new Error(`no identity lookup ${name}`);
    return `\${data.azurerm_user_assigned_identity.${id}.${attr}}`;
  };

  describe.each(ENVIRONMENT_NAMES)('platform-%s', (name) => {
    const tf = stacks[name];
    const env = config.environments[name];
    const [app] = env.applications;
    const deploy = `id-github-deploy-${name}-${app.name}`;
    const plan = `id-github-plan-${name}`;

    test('looks the deploy and plan identities up in the state resource group; it creates and federates none', () => {
      // Its only identity is the application pods' workload identity, federated with the cluster, not with GitHub.
      // Besides it, the registry purge task's identity (no federated credential: only the task uses it).
      expect(Object.values(resources(tf, 'azurerm_user_assigned_identity')).map((i) => i.name).sort()).toEqual([`id-acr-purge-${name}`, `id-${app.name}-${name}`].sort());
      for (const c of Object.values(resources(tf, 'azurerm_federated_identity_credential'))) expect(c.issuer).not.toBe('https://token.actions.githubusercontent.com');
      const lookups = Object.values(tf.data?.azurerm_user_assigned_identity ?? {});
      expect(lookups.map((l) => [l.name, l.resource_group_name]).sort()).toEqual([[deploy, config.state.resourceGroupName], [plan, config.state.resourceGroupName]]);
    });

    test('each role: name, scope and principal, as references; no state access (state-bootstrap grants it)', () => {
      const registryId = ref(tf, 'azurerm_container_registry', 'id');
      const clusterId = ref(tf, 'azurerm_kubernetes_cluster', 'id');
      const kubelet = `\${${ref(tf, 'azurerm_kubernetes_cluster', 'kubelet_identity').slice(2, -1)}[0].object_id}`;
      const deployer = identityRef(tf, deploy, 'principal_id');
      const actual = assignments(tf).map((a) => ({ role: a.role_definition_name, scope: a.scope, principal: a.principal_id }));
      const common = [
        { role: 'AcrPull', scope: registryId, principal: kubelet },
        { role: 'AcrPush', scope: registryId, principal: deployer },
        { role: 'Reader', scope: RG_ID, principal: identityRef(tf, plan, 'principal_id') },
        { role: 'Azure Kubernetes Service Cluster User Role', scope: clusterId, principal: identityRef(tf, plan, 'principal_id') },
        { role: 'AcrDelete', scope: registryId, principal: purgeIdentity(tf) },
        { role: 'AcrPull', scope: registryId, principal: purgeIdentity(tf) },
      ];
      // Push: the deployer installs the release. GitOps: it only publishes manifests, which the kubelet identity reads.
      const byDelivery = env.delivery === 'push'
        ? [
          { role: 'Azure Kubernetes Service Cluster User Role', scope: clusterId, principal: deployer },
          { role: 'Azure Kubernetes Service RBAC Writer', scope: `${clusterId}/namespaces/${app.namespace}`, principal: deployer },
        ]
        : [
          { role: 'Storage Blob Data Contributor', scope: ref(tf, 'azurerm_storage_container', 'id'), principal: deployer },
          { role: 'Storage Blob Data Reader', scope: ref(tf, 'azurerm_storage_container', 'id'), principal: kubelet },
        ];
      expect(actual).toEqual(expect.arrayContaining([...common, ...byDelivery]));
      expect(actual).toHaveLength(common.length + byDelivery.length);
    });

    test('the plan identity reads only: no push, deploy or write rights', () => {
      const planRoles = assignments(tf).filter((a) => a.principal_id === identityRef(tf, plan, 'principal_id')).map((a) => a.role_definition_name);
      expect(planRoles.sort()).toEqual(['Azure Kubernetes Service Cluster User Role', 'Reader']);
    });

    test('no role at subscription or resource-group scope except the plan Reader, and no broad role anywhere', () => {
      for (const a of assignments(tf)) {
        expect(['Owner', 'Contributor', 'User Access Administrator']).not.toContain(a.role_definition_name);
        const scope = String(a.scope);
        expect(scope).not.toMatch(/^\/subscriptions\/[^/]+$/);
        if (scope === RG_ID) expect(a.role_definition_name).toBe('Reader');
        expect(scope).not.toMatch(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/);
      }
    });

    test('writes no secrets: the sign-in secrets live beside the identities, in state-bootstrap', () => {
      expect(resources(tf, 'github_repository_environment')).toEqual({});
      expect(resources(tf, 'github_actions_environment_secret')).toEqual({});
      expect(resources(tf, 'github_actions_variable')).toEqual({});
    });

    test('the GitHub environment receives the variables the workflows read', () => {
      const variables = Object.values(resources(tf, 'github_actions_environment_variable'));
      for (const v of variables) expect(v).toMatchObject({ repository: REPO.split('/')[1], environment: app.githubEnvironment });
      const vars = Object.fromEntries(variables.map((v) => [v.variable_name, v.value]));
      const common = {
        ACR_NAME: ref(tf, 'azurerm_container_registry', 'name'),
        ACR_LOGIN_SERVER: ref(tf, 'azurerm_container_registry', 'login_server'),
        RESOURCE_GROUP: '${data.azurerm_resource_group.resource-group.name}',
        NAMESPACE: app.namespace,
        IMAGE_NAME: app.imageName,
        DELIVERY: env.delivery,
      };
      // Push jobs sign in to the cluster; GitOps jobs publish to the container Flux reads, and never see the cluster.
      expect(vars).toEqual(env.delivery === 'push'
        ? { ...common, AKS_CLUSTER: ref(tf, 'azurerm_kubernetes_cluster', 'name') }
        : { ...common, GITOPS_STORAGE_ACCOUNT: env.gitops?.storageAccountName, GITOPS_CONTAINER: 'flux' });
    });

    test('the github provider owner comes from config and no token is in code', () => {
      expect(tf.provider?.github).toEqual([{ owner: REPO.split('/')[0] }]);
    });

    test('outputs both client IDs', () => {
      expect(tf.output).toMatchObject({
        [`application_${app.name.replace(/-/g, '_')}_deploy_client_id`]: { value: identityRef(tf, deploy, 'client_id') },
        github_plan_client_id: { value: identityRef(tf, plan, 'client_id') },
      });
    });
  });
});
