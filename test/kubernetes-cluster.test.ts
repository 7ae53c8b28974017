import { ContainerRegistry } from '../constructs/container-registry';
import { CONTAINER_INSIGHTS_STREAMS, KubernetesCluster, KubernetesClusterProps, validateCluster } from '../constructs/kubernetes-cluster';
import { errorOf, only, ref, resources, synthScope } from './helpers';
import { lines } from './problems';

const ADMINS = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const WORKSPACE = '/subscriptions/66666666-7777-8888-9999-000000000000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs';
const base: KubernetesClusterProps = {
  name: 'aks-example',
  resourceGroupName: 'rg-example',
  location: 'japaneast',
  systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 1, maxCount: 3 },
  adminGroupObjectIds: [ADMINS],
};

function synth(props: Partial<KubernetesClusterProps> = {}) {
  return synthScope((scope) => new KubernetesCluster(scope, 'cluster', { ...base, ...props }));
}
const cluster = (props: Partial<KubernetesClusterProps> = {}) => only(synth(props), 'azurerm_kubernetes_cluster');
const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as Record<string, unknown>;

describe('KubernetesCluster defaults', () => {
  const c = cluster();
  test('identity and access: OIDC issuer, workload identity, Entra ID with Azure RBAC, local accounts off', () => {
    expect(c).toMatchObject({
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
      local_account_disabled: true,
      role_based_access_control_enabled: true,
    });
    expect(first(c.azure_active_directory_role_based_access_control)).toEqual({ azure_rbac_enabled: true, admin_group_object_ids: [ADMINS] });
    expect(first(c.identity)).toEqual({ type: 'SystemAssigned' });
  });

  test('networking: Azure CNI overlay with Cilium network policy', () => {
    expect(first(c.network_profile)).toEqual({
      network_plugin: 'azure',
      network_plugin_mode: 'overlay',
      network_policy: 'cilium',
      network_data_plane: 'cilium',
      load_balancer_sku: 'standard',
      outbound_type: 'loadBalancer',
    });
  });

  test('system pool: autoscaling, critical add-ons only, max pods >= 50, rotation name set', () => {
    expect(first(c.default_node_pool)).toMatchObject({
      name: 'system',
      vm_size: 'Standard_D4ds_v5',
      auto_scaling_enabled: true,
      min_count: 1,
      max_count: 3,
      max_pods: 110,
      only_critical_addons_enabled: true,
      temporary_name_for_rotation: 'systemtmp',
      os_sku: 'AzureLinux',
    });
  });

  test('operations: upgrade channels, Azure Policy, secrets-store rotation, image cleaner, Standard tier', () => {
    expect(c).toMatchObject({
      automatic_upgrade_channel: 'patch',
      node_os_upgrade_channel: 'NodeImage',
      azure_policy_enabled: true,
      image_cleaner_enabled: true,
      image_cleaner_interval_hours: 48,
      sku_tier: 'Standard',
      private_cluster_enabled: false,
      dns_prefix: 'aks-example',
    });
    expect(first(c.key_vault_secrets_provider)).toEqual({ secret_rotation_enabled: true, secret_rotation_interval: '2m' });
  });

  test('no monitoring agent, authorized ranges or user pools unless configured', () => {
    expect(c.oms_agent).toBeUndefined();
    expect(c.api_server_access_profile).toBeUndefined();
    expect(resources(synth(), 'azurerm_kubernetes_cluster_node_pool')).toEqual({});
    expect(resources(synth(), 'azurerm_monitor_data_collection_rule')).toEqual({});
  });
});

describe('KubernetesCluster options', () => {
  test('Azure Monitor agent with managed identity auth to the given workspace, with the data collection rule it needs', () => {
    const tf = synth({ logAnalyticsWorkspaceId: WORKSPACE });
    expect(first(only(tf, 'azurerm_kubernetes_cluster').oms_agent)).toEqual({ log_analytics_workspace_id: WORKSPACE, msi_auth_for_monitoring_enabled: true });
    const dcr = only(tf, 'azurerm_monitor_data_collection_rule');
    expect(dcr).toMatchObject({
      name: 'MSCI-japaneast-aks-example',
      resource_group_name: 'rg-example',
      location: 'japaneast',
      destinations: { log_analytics: [{ name: 'ciworkspace', workspace_resource_id: WORKSPACE }] },
      data_flow: [{ streams: [...CONTAINER_INSIGHTS_STREAMS], destinations: ['ciworkspace'] }],
    });
    const extension = (dcr.data_sources as { extension: Array<Record<string, unknown>> }).extension[0];
    expect(extension).toMatchObject({ name: 'ContainerInsightsExtension', extension_name: 'ContainerInsights', streams: [...CONTAINER_INSIGHTS_STREAMS] });
    expect(JSON.parse(String(extension.extension_json))).toEqual({ dataCollectionSettings: { interval: '1m', namespaceFilteringMode: 'Off', enableContainerLogV2: true } });
    expect(only(tf, 'azurerm_monitor_data_collection_rule_association')).toMatchObject({
      name: 'ContainerInsightsExtension',
      target_resource_id: ref(tf, 'azurerm_kubernetes_cluster', 'id'),
      data_collection_rule_id: ref(tf, 'azurerm_monitor_data_collection_rule', 'id'),
    });
  });

  test('authorized IP ranges restrict the API server', () => {
    expect(first(cluster({ authorizedIpRanges: ['203.0.113.0/24'] }).api_server_access_profile)).toEqual({ authorized_ip_ranges: ['203.0.113.0/24'] });
  });

  test('private cluster', () => {
    expect(cluster({ privateClusterEnabled: true }).private_cluster_enabled).toBe(true);
  });

  test('zones, tier, channels, version, dns prefix and network policy', () => {
    const c = cluster({
      skuTier: 'Free',
      kubernetesVersion: '1.33',
      dnsPrefix: 'custom-prefix',
      networkPolicy: 'calico',
      automaticUpgradeChannel: 'stable',
      nodeOsUpgradeChannel: 'SecurityPatch',
      azurePolicyEnabled: false,
      imageCleanerIntervalHours: 168,
      systemNodePool: { ...base.systemNodePool, zones: ['1', '2', '3'], maxPods: 60 },
    });
    expect(c).toMatchObject({
      sku_tier: 'Free',
      kubernetes_version: '1.33',
      dns_prefix: 'custom-prefix',
      automatic_upgrade_channel: 'stable',
      node_os_upgrade_channel: 'SecurityPatch',
      azure_policy_enabled: false,
      image_cleaner_interval_hours: 168,
    });
    expect(first(c.network_profile)).toMatchObject({ network_policy: 'calico', network_data_plane: 'azure' });
    expect(first(c.default_node_pool)).toMatchObject({ zones: ['1', '2', '3'], max_pods: 60 });
  });

  test('user pools are separate autoscaling node pools in User mode on the cluster', () => {
    const tf = synth({ userNodePools: [{ name: 'apps', vmSize: 'Standard_D8ds_v5', minCount: 2, maxCount: 10, zones: ['1', '2'], nodeTaints: ['workload=ai:NoSchedule'] }] });
    expect(only(tf, 'azurerm_kubernetes_cluster_node_pool')).toMatchObject({
      name: 'apps',
      mode: 'User',
      kubernetes_cluster_id: ref(tf, 'azurerm_kubernetes_cluster', 'id'),
      vm_size: 'Standard_D8ds_v5',
      auto_scaling_enabled: true,
      min_count: 2,
      max_count: 10,
      max_pods: 110,
      zones: ['1', '2'],
      node_taints: ['workload=ai:NoSchedule'],
      temporary_name_for_rotation: 'appstmp',
    });
  });
});

describe('KubernetesCluster grants', () => {
  test('attachRegistry is `az aks update --attach-acr`: AcrPull for the kubelet identity at the registry id, by reference', () => {
    const tf = synthScope((scope) => {
      const registry = new ContainerRegistry(scope, 'registry', { name: 'acrexample01', resourceGroupName: 'rg', location: 'japaneast' });
      new KubernetesCluster(scope, 'cluster', base).attachRegistry(registry);
    });
    expect(only(tf, 'azurerm_role_assignment')).toEqual(expect.objectContaining({
      role_definition_name: 'AcrPull',
      principal_id: `\${${ref(tf, 'azurerm_kubernetes_cluster', 'kubelet_identity').slice(2, -1)}[0].object_id}`,
      principal_type: 'ServicePrincipal',
      skip_service_principal_aad_check: true,
      scope: ref(tf, 'azurerm_container_registry', 'id'),
    }));
  });

  test('cluster user and namespace writer roles are scoped to the cluster and to the namespace', () => {
    const principal = { principalId: '0f0e0d0c-0b0a-0908-0706-050403020100', principalType: 'ServicePrincipal' as const };
    const tf = synthScope((scope) => {
      const c = new KubernetesCluster(scope, 'cluster', base);
      c.grantClusterUser(principal);
      c.grantNamespaceWriter(principal, 'production');
    });
    const byRole = Object.fromEntries(Object.values(resources(tf, 'azurerm_role_assignment')).map((a) => [a.role_definition_name, a.scope]));
    const clusterId = ref(tf, 'azurerm_kubernetes_cluster', 'id');
    expect(byRole).toEqual({
      'Azure Kubernetes Service Cluster User Role': clusterId,
      'Azure Kubernetes Service RBAC Writer': `${clusterId}/namespaces/production`,
    });
  });

  test('a namespace grant refuses an invalid namespace', () => {
    expect(errorOf(() => synthScope((scope) => new KubernetesCluster(scope, 'cluster', base).grantNamespaceWriter({ principalId: 'x', principalType: 'User' }, 'Prod_NS'))))
      .toContain('namespace: "Prod_NS" is not allowed: a Kubernetes namespace');
  });
});

describe('KubernetesCluster validation', () => {
  const pool = base.systemNodePool;
  const cases: Array<[string, Partial<KubernetesClusterProps>, string]> = [
    ['name with a dot', { name: 'aks.example' }, 'name: "aks.example" is not allowed: 1-63 letters, digits, underscores or hyphens'],
    ['name ending in a hyphen', { name: 'aks-' }, 'name: "aks-" is not allowed'],
    ['name too long', { name: 'a'.repeat(64) }, 'is not allowed: 1-63 letters'],
    ['dns prefix with underscore', { dnsPrefix: 'aks_example' }, 'dnsPrefix: "aks_example" is not allowed: 1-54 letters, digits or hyphens'],
    ['dns prefix too long', { dnsPrefix: 'a'.repeat(55) }, 'dnsPrefix: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." (55 characters) is not allowed'],
    ['system pool name uppercase', { systemNodePool: { ...pool, name: 'System' } }, 'systemNodePool.name: "System" is not allowed: a lowercase letter followed by up to 11 lowercase letters or digits'],
    ['user pool name too long', { userNodePools: [{ ...pool, name: 'workloadpool1' }] }, 'userNodePools[0].name: "workloadpool1" is not allowed'],
    ['duplicate pool names', { userNodePools: [{ ...pool, name: 'system' }] }, 'node pool names (including their rotation names): "system" appears more than once'],
    ['a pool named like a rotation pool', { userNodePools: [{ ...pool, name: 'systemtmp' }] }, 'node pool names (including their rotation names): "systemtmp" appears more than once'],
    ['maxCount below minCount', { systemNodePool: { ...pool, minCount: 3, maxCount: 2 } }, 'systemNodePool.maxCount: must be at least minCount (3), got 2'],
    ['system pool min 0', { systemNodePool: { ...pool, minCount: 0 } }, 'systemNodePool.minCount: must be a whole number from 1 to 1000, got number 0'],
    ['max pods below 50', { systemNodePool: { ...pool, maxPods: 30 } }, 'systemNodePool.maxPods: must be a whole number from 50 to 250, got number 30'],
    ['zone 4', { systemNodePool: { ...pool, zones: ['4'] } }, 'systemNodePool.zones[0]: must be one of "1", "2", "3", got "4"'],
    ['no admin group', { adminGroupObjectIds: [] }, 'adminGroupObjectIds: at least one Entra ID group is required'],
    ['admin group not a GUID', { adminGroupObjectIds: ['platform-admins'] }, 'adminGroupObjectIds[0]: "platform-admins" is not allowed: a GUID'],
    ['private and authorized ranges', { privateClusterEnabled: true, authorizedIpRanges: ['203.0.113.0/24'] }, 'authorizedIpRanges: a private cluster has no public API server to restrict'],
    ['bad authorized range', { authorizedIpRanges: ['0.0.0.0/99'] }, 'authorizedIpRanges[0]: "0.0.0.0/99" is not allowed: an IPv4 address or CIDR block'],
    ['unknown network policy', { networkPolicy: 'weave' as never }, 'networkPolicy: must be one of "cilium", "calico", "azure", got "weave"'],
    ['taints on the system pool', { systemNodePool: { ...pool, nodeTaints: ['a=b:NoSchedule'] } }, 'systemNodePool.nodeTaints: the system pool carries only the CriticalAddonsOnly taint'],
    ['bad kubernetes version', { kubernetesVersion: 'v1.33' }, 'kubernetesVersion: "v1.33" is not allowed: a version such as 1.33 or 1.33.2'],
    ['bad vm size', { systemNodePool: { ...pool, vmSize: 'D4' } }, 'systemNodePool.vmSize: "D4" is not allowed: an Azure VM size'],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(lines(validateCluster({ ...base, ...props })).join('\n')).toContain(message);
    expect(errorOf(() => synth(props))).toContain(message);
  });

  test('a name that yields no DNS prefix needs an explicit one', () => {
    expect(lines(validateCluster({ ...base, name: '___' })).join('\n')).toContain('dnsPrefix: cannot be derived from name "___"');
  });

  test('wrong types are reported, not thrown as TypeError', () => {
    const problems = validateCluster({ ...base, systemNodePool: undefined, adminGroupObjectIds: 'x' } as unknown as KubernetesClusterProps);
    expect(problems).toEqual([
      { field: 'adminGroupObjectIds', message: 'must be a list, got "x"' },
      { field: 'systemNodePool', message: 'must be an object, got nothing' },
    ]);
  });
});
