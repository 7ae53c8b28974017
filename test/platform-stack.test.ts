import { Testing } from 'cdktf';
import { ENVIRONMENT_NAMES, config } from '../stacks/environments';
import { PlatformStack } from '../stacks/platform-stack';
import { TfJson, only, ref, resources, synthStack } from './helpers';

const synthEnv = (name: (typeof ENVIRONMENT_NAMES)[number]): TfJson =>
  synthStack(new PlatformStack(Testing.app(), `platform-${name}`, { env: config.environments[name], state: config.state }));
const stacks = Object.fromEntries(ENVIRONMENT_NAMES.map((n) => [n, synthEnv(n)])) as Record<(typeof ENVIRONMENT_NAMES)[number], TfJson>;
const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as Record<string, unknown>;

describe.each(ENVIRONMENT_NAMES)('platform-%s', (name) => {
  const tf = stacks[name];
  const env = config.environments[name];

  test('matches the committed snapshot', () => {
    expect(tf).toMatchSnapshot();
  });

  test('azurerm backend with Entra ID auth and one state key per stack', () => {
    expect((tf.terraform as { backend: unknown }).backend).toEqual({
      azurerm: {
        subscription_id: config.state.subscriptionId,
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
      { features: [{}], subscription_id: env.subscriptionId, tenant_id: env.tenantId, storage_use_azuread: true },
    ]);
  });

  test('registry, cluster and workspace live in the resource group, in the environment location', () => {
    const rgName = ref(tf, 'azurerm_resource_group', 'name');
    expect(only(tf, 'azurerm_resource_group')).toMatchObject({ name: env.resourceGroupName, location: env.location });
    for (const type of ['azurerm_container_registry', 'azurerm_kubernetes_cluster', 'azurerm_log_analytics_workspace']) {
      expect(only(tf, type)).toMatchObject({ resource_group_name: rgName, location: env.location });
    }
  });

  test('the cluster sends Container Insights to the stack workspace', () => {
    expect(first(only(tf, 'azurerm_kubernetes_cluster').oms_agent).log_analytics_workspace_id).toBe(ref(tf, 'azurerm_log_analytics_workspace', 'id'));
    expect(only(tf, 'azurerm_log_analytics_workspace')).toMatchObject({ sku: 'PerGB2018', retention_in_days: env.logAnalyticsRetentionDays });
  });

  test('the cluster is attached to the registry: AcrPull for the kubelet identity at the registry id', () => {
    const pulls = Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.role_definition_name === 'AcrPull');
    expect(pulls).toEqual([
      expect.objectContaining({
        principal_id: `\${${ref(tf, 'azurerm_kubernetes_cluster', 'kubelet_identity').slice(2, -1)}[0].object_id}`,
        scope: ref(tf, 'azurerm_container_registry', 'id'),
      }),
    ]);
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
  test('prod replicates to koreacentral from a different home region, zone-redundant', () => {
    const registry = only(stacks.prod, 'azurerm_container_registry');
    expect(registry.location).not.toBe('koreacentral');
    expect(registry.georeplications).toEqual([expect.objectContaining({ location: 'koreacentral', zone_redundancy_enabled: true })]);
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
