import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import {
  ContainerRegistry, ContainerRegistryAttributes, ContainerRegistryProps, IContainerRegistry, validateRegistryAttributes, validateRegistryLookup,
} from '../constructs/container-registry';
import {
  IKubernetesCluster, KubernetesCluster, KubernetesClusterAttributes, KubernetesClusterProps, validateClusterAttributes, validateClusterLookup,
} from '../constructs/kubernetes-cluster';
import { GithubActionsIdentity, GithubActionsIdentityProps } from '../constructs/github-actions-identity';
import { IPrincipal } from '../constructs/principal';
import { AzureResourceProps } from '../constructs/resource';
import { ValidationError } from '../constructs/validation';
import { WorkloadIdentity, WorkloadIdentityProps } from '../constructs/workload-identity';
import { TfJson, errorOf, only, ref, resources, synthScope } from './helpers';

const REGISTRY_ID = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-shared/providers/Microsoft.ContainerRegistry/registries/acrshared01';
const CLUSTER_ID = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-shared/providers/Microsoft.ContainerService/managedClusters/aks-shared';
const KUBELET = '99999999-8888-7777-6666-555555555555';
const registryAttributes: ContainerRegistryAttributes = { id: REGISTRY_ID, name: 'acrshared01', loginServer: 'acrshared01.azurecr.io' };
const clusterAttributes: KubernetesClusterAttributes = {
  id: CLUSTER_ID, name: 'aks-shared', oidcIssuerUrl: 'https://japaneast.oic.prod-aks.azure.com/tenant/cluster/', kubeletIdentityObjectId: KUBELET,
};
const clusterProps: KubernetesClusterProps = {
  name: 'aks-example',
  resourceGroupName: 'rg-example',
  location: 'japaneast',
  systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 1, maxCount: 3 },
  adminGroupObjectIds: ['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
};
const principal: IPrincipal = { principalId: '00000000-0000-0000-0000-00000000abcd', principalType: 'ServicePrincipal' };

const data = (tf: TfJson, type: string) => Object.values(tf.data?.[type] ?? {});
const dataRef = (tf: TfJson, type: string, attr: string) => `\${data.${type}.${Object.keys(tf.data?.[type] ?? {})[0]}.${attr}}`;
const assignments = (tf: TfJson) => Object.values(resources(tf, 'azurerm_role_assignment'));

/** Every way to get a registry: created, looked up, given by attributes. Each must behave as an IContainerRegistry. */
const registries: Array<[string, (scope: Construct) => IContainerRegistry]> = [
  ['ContainerRegistry', (scope) => new ContainerRegistry(scope, 'registry', { name: 'acrexample01', resourceGroupName: 'rg-example', location: 'japaneast' })],
  ['ContainerRegistry.fromExisting', (scope) => ContainerRegistry.fromExisting(scope, 'registry', { name: 'acrshared01', resourceGroupName: 'rg-shared' })],
  ['ContainerRegistry.fromAttributes', (scope) => ContainerRegistry.fromAttributes(scope, 'registry', registryAttributes)],
];
const clusters: Array<[string, (scope: Construct) => IKubernetesCluster]> = [
  ['KubernetesCluster', (scope) => new KubernetesCluster(scope, 'cluster', clusterProps)],
  ['KubernetesCluster.fromExisting', (scope) => KubernetesCluster.fromExisting(scope, 'cluster', { name: 'aks-shared', resourceGroupName: 'rg-shared' })],
  ['KubernetesCluster.fromAttributes', (scope) => KubernetesCluster.fromAttributes(scope, 'cluster', clusterAttributes)],
];

describe.each(registries)('%s implements IContainerRegistry', (_, make) => {
  test('grantPull and grantPush assign AcrPull and AcrPush at the registry id', () => {
    let id = '';
    const tf = synthScope((scope) => {
      const registry = make(scope);
      id = registry.id;
      registry.grantPull(principal);
      registry.grantPush(principal);
    });
    const scopes = assignments(tf).map((a) => [a.role_definition_name, a.scope]);
    const expected = id.startsWith('${') ? (tf.data ? dataRef(tf, 'azurerm_container_registry', 'id') : ref(tf, 'azurerm_container_registry', 'id')) : REGISTRY_ID;
    expect(scopes).toEqual([['AcrPull', expected], ['AcrPush', expected]]);
  });

  test('the same grant twice returns the same role assignment and synthesizes one', () => {
    let twice: unknown[] = [];
    const tf = synthScope((scope) => {
      const registry = make(scope);
      twice = [registry.grantPull(principal), registry.grantPull({ ...principal })];
    });
    expect(twice[0]).toBe(twice[1]);
    expect(assignments(tf)).toHaveLength(1);
  });
});

describe.each(clusters)('%s implements IKubernetesCluster', (_, make) => {
  test('cluster user at the cluster id, namespace writer under it, each granted once however often asked', () => {
    let same = false;
    const tf = synthScope((scope) => {
      const cluster = make(scope);
      const user = cluster.grantClusterUser(principal);
      same = cluster.grantClusterUser(principal) === user && cluster.grantNamespaceWriter(principal, 'team-a') === cluster.grantNamespaceWriter(principal, 'team-a');
      cluster.grantNamespaceWriter(principal, 'team-b');
    });
    expect(same).toBe(true);
    const scopes = assignments(tf).map((a) => a.scope as string);
    expect(scopes).toHaveLength(3);
    expect(scopes[1]).toBe(`${scopes[0]}/namespaces/team-a`);
    expect(scopes[2]).toBe(`${scopes[0]}/namespaces/team-b`);
  });

  test.each(registries)('attachRegistry(%s) gives the kubelet identity AcrPull at the registry', (__, makeRegistry) => {
    let kubelet: IPrincipal | undefined;
    const tf = synthScope((scope) => {
      const cluster = make(scope);
      kubelet = cluster.kubeletIdentity;
      cluster.attachRegistry(makeRegistry(scope));
    });
    const assignment = only(tf, 'azurerm_role_assignment');
    expect(kubelet?.principalType).toBe('ServicePrincipal');
    expect(assignment).toMatchObject({ role_definition_name: 'AcrPull', principal_type: 'ServicePrincipal', skip_service_principal_aad_check: true });
    expect(String(assignment.principal_id)).toMatch(new RegExp(`^(\\$\\{(data\\.)?azurerm_kubernetes_cluster\\.[^.]+\\.kubelet_identity\\[0\\]\\.object_id\\}|${KUBELET})$`));
  });
});

describe('imports', () => {
  test('fromExisting looks the registry up by name and resource group; its references come from the data source', () => {
    let registry: IContainerRegistry | undefined;
    const tf = synthScope((scope) => {
      registry = ContainerRegistry.fromExisting(scope, 'shared', { name: 'acrshared01', resourceGroupName: 'rg-shared' });
      registry.grantPush(principal);
    });
    expect(data(tf, 'azurerm_container_registry')).toEqual([{ name: 'acrshared01', resource_group_name: 'rg-shared' }]);
    expect(resources(tf, 'azurerm_container_registry')).toEqual({});
    expect(only(tf, 'azurerm_role_assignment').scope).toBe(dataRef(tf, 'azurerm_container_registry', 'id'));
    expect(registry?.node.path).toBe('stack/shared');
  });

  test('fromExisting looks the cluster up; its kubelet identity is the data source\'s kubelet_identity[0].object_id', () => {
    const tf = synthScope((scope) => {
      const cluster = KubernetesCluster.fromExisting(scope, 'shared', { name: 'aks-shared', resourceGroupName: 'rg-shared' });
      cluster.attachRegistry(ContainerRegistry.fromAttributes(scope, 'registry', registryAttributes));
      cluster.grantClusterUser(principal);
    });
    expect(data(tf, 'azurerm_kubernetes_cluster')).toEqual([{ name: 'aks-shared', resource_group_name: 'rg-shared' }]);
    const byRole = (role: string) => assignments(tf).find((a) => a.role_definition_name === role);
    const [acrPull, user] = [byRole('AcrPull'), byRole('Azure Kubernetes Service Cluster User Role')];
    expect(acrPull).toMatchObject({ scope: REGISTRY_ID, principal_id: dataRef(tf, 'azurerm_kubernetes_cluster', 'kubelet_identity[0].object_id') });
    expect(user).toMatchObject({ scope: dataRef(tf, 'azurerm_kubernetes_cluster', 'id'), role_definition_name: 'Azure Kubernetes Service Cluster User Role' });
  });

  test('fromAttributes needs no data source: grants scope to the given ids, the kubelet is the given object id', () => {
    const tf = synthScope((scope) => {
      const registry = ContainerRegistry.fromAttributes(scope, 'registry', registryAttributes);
      const cluster = KubernetesCluster.fromAttributes(scope, 'cluster', clusterAttributes);
      expect([registry.name, registry.loginServer, cluster.name, cluster.oidcIssuerUrl]).toEqual(['acrshared01', 'acrshared01.azurecr.io', 'aks-shared', clusterAttributes.oidcIssuerUrl]);
      cluster.attachRegistry(registry);
      cluster.grantNamespaceWriter(principal, 'team-a');
    });
    expect(tf.data).toBeUndefined();
    expect(assignments(tf)).toHaveLength(2);
    expect(assignments(tf)).toEqual(expect.arrayContaining([
      expect.objectContaining({ role_definition_name: 'AcrPull', scope: REGISTRY_ID, principal_id: KUBELET }),
      expect.objectContaining({ role_definition_name: 'Azure Kubernetes Service RBAC Writer', scope: `${CLUSTER_ID}/namespaces/team-a` }),
    ]));
  });

  test('an existing registry in another subscription through an aliased provider', () => {
    const tf = synthScope((scope) => {
      const { AzurermProvider } = require('@cdktf/provider-azurerm/lib/provider') as typeof import('@cdktf/provider-azurerm/lib/provider');
      const other = new AzurermProvider(scope, 'other', { features: [{}], alias: 'shared', subscriptionId: '11111111-2222-3333-4444-555555555555' });
      ContainerRegistry.fromExisting(scope, 'shared', { name: 'acrshared01', resourceGroupName: 'rg-shared', provider: other });
    });
    expect(data(tf, 'azurerm_container_registry')[0]).toMatchObject({ provider: 'azurerm.shared' });
  });
});

describe('import validation', () => {
  test('a lookup names each bad field, as structured problems', () => {
    expect(validateRegistryLookup({ name: 'acr-shared', resourceGroupName: 'rg.' })).toEqual([
      { field: 'name', message: '"acr-shared" is not allowed: 5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)' },
      { field: 'resourceGroupName', message: '"rg." is not allowed: 1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period' },
    ]);
    expect(validateClusterLookup({ name: '-aks', resourceGroupName: 'rg' })).toEqual([
      { field: 'name', message: '"-aks" is not allowed: 1-63 letters, digits, underscores or hyphens, starting and ending with a letter or digit' },
    ]);
  });

  test('attributes: ids of the right resource type, a name that matches the id, a GUID kubelet, an https issuer', () => {
    expect(validateRegistryAttributes(registryAttributes)).toEqual([]);
    expect(validateClusterAttributes(clusterAttributes)).toEqual([]);
    expect(validateRegistryAttributes({ ...registryAttributes, id: CLUSTER_ID, loginServer: 'https://acrshared01.azurecr.io' }).map((p) => p.field)).toEqual(['id', 'loginServer']);
    expect(validateRegistryAttributes({ ...registryAttributes, name: 'acrother01' })).toEqual([
      { field: 'name', message: `"acrother01" is not the registry that id "${REGISTRY_ID.slice(0, 47)}..." (${REGISTRY_ID.length} characters) names` },
    ]);
    expect(validateClusterAttributes({ ...clusterAttributes, oidcIssuerUrl: 'http://issuer', kubeletIdentityObjectId: 'kubelet' }).map((p) => p.field)).toEqual(['oidcIssuerUrl', 'kubeletIdentityObjectId']);
  });

  test('attributes may be tokens, checked at apply time instead', () => {
    const token = Lazy.stringValue({ produce: () => 'later' });
    expect(validateRegistryAttributes({ id: token, name: token, loginServer: token })).toEqual([]);
    expect(validateClusterAttributes({ id: token, name: token, oidcIssuerUrl: token, kubeletIdentityObjectId: token })).toEqual([]);
  });

  test('fromExisting and fromAttributes throw one ValidationError, before creating anything', () => {
    let error: unknown;
    const tf = synthScope((scope) => {
      try {
        KubernetesCluster.fromAttributes(scope, 'cluster', { ...clusterAttributes, id: 'aks-shared' });
      } catch (e) {
        error = e;
      }
      expect(scope.node.tryFindChild('cluster')).toBeUndefined();
    });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^Invalid imported cluster "stack\/cluster": 1 problem\n {2}- id: "aks-shared" is not allowed: a cluster resource ID/);
    expect(tf.data).toBeUndefined();
    expect(errorOf(() => synthScope((scope) => ContainerRegistry.fromExisting(scope, 'r', { name: 'acrshared01', resourceGroupName: '' }))))
      .toContain('resourceGroupName: "" is not allowed');
  });
});

describe('AzureResourceProps', () => {
  // Compile-time: each Azure construct's props extend the one base interface.
  type Extends<T> = T extends AzureResourceProps ? true : false;
  const extendsBase: [Extends<ContainerRegistryProps>, Extends<KubernetesClusterProps>, Extends<GithubActionsIdentityProps>, Extends<WorkloadIdentityProps>] = [true, true, true, true];

  test('name, resourceGroupName, location and tags mean the same on every Azure construct', () => {
    expect(extendsBase).toEqual([true, true, true, true]);
    const common = (name: string): AzureResourceProps => ({ name, resourceGroupName: 'rg-common', location: 'japaneast', tags: { owner: 'platform' } });
    const tf = synthScope((scope) => {
      new ContainerRegistry(scope, 'registry', common('acrcommon01'));
      new KubernetesCluster(scope, 'cluster', { ...clusterProps, ...common('aks-common') });
      new GithubActionsIdentity(scope, 'github', { ...common('id-github-common'), repository: 'contoso/app', environments: ['prod'] });
      new WorkloadIdentity(scope, 'workload', { ...common('id-workload-common'), oidcIssuerUrl: clusterAttributes.oidcIssuerUrl, namespace: 'app', serviceAccountName: 'app' });
    });
    const made = ['azurerm_container_registry', 'azurerm_kubernetes_cluster', 'azurerm_user_assigned_identity'].flatMap((type) => Object.values(resources(tf, type)));
    expect(made).toHaveLength(4);
    for (const r of made) expect(r).toMatchObject({ resource_group_name: 'rg-common', location: 'japaneast', tags: { owner: 'platform' } });
  });
});
