/**
 * The Application construct as a library user has it: one application on a platform, with a registry imported
 * from another subscription and a cluster created in the same program.
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { Construct } from 'constructs';
import { Application, ApplicationProps, validateApplication } from '../constructs/application';
import { ContainerRegistry } from '../constructs/container-registry';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import { ValidationError } from '../constructs/validation';
import { errorOf, only, resources, synthScope } from './helpers';

const CHART = join(__dirname, '..', 'charts', 'ai-app');
const REGISTRY_ID = '/subscriptions/0a1b2c3d-0000-4000-8000-000000000001/resourceGroups/rg-shared/providers/Microsoft.ContainerRegistry/registries/acrshared01';
const deployer = { principalId: '11111111-2222-4333-8444-555555555555', principalType: 'ServicePrincipal' as const };

function build(scope: Construct, change: Partial<ApplicationProps> = {}): Application {
  const registry = ContainerRegistry.fromAttributes(scope, 'registry', { id: REGISTRY_ID, name: 'acrshared01', loginServer: 'acrshared01.azurecr.io' });
  const cluster = new KubernetesCluster(scope, 'cluster', {
    name: 'aks-lib', resourceGroupName: 'rg-lib', location: 'westeurope',
    systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 1, maxCount: 2 },
    adminGroupObjectIds: ['2b3c4d5e-6f70-4192-a3b4-c5d6e7f8091a'],
  });
  return new Application(scope, 'shop', {
    name: 'shop', registry, cluster, namespace: 'shop', serviceAccountName: 'shop', deployer,
    workloadIdentity: { name: 'id-shop', resourceGroupName: 'rg-lib', location: 'westeurope', tags: { team: 'shop' } },
    github: { repository: 'org/shop', environment: 'shop-prod' },
    ...change,
  });
}

describe('Application', () => {
  const tf = synthScope((scope) => {
    const app = build(scope);
    app.addRelease(scope, 'release', { chartPath: CHART, releaseName: 'shop', image: { repository: app.imageRepository, tag: '3f2c1ab' } });
  });
  const assignments = Object.values(resources(tf, 'azurerm_role_assignment')).filter((a) => a.principal_id === deployer.principalId);

  test('the deployer pushes to the (imported) registry, uses the cluster, and writes only in the application\'s namespace', () => {
    const clusterId = `\${azurerm_kubernetes_cluster.${Object.keys(resources(tf, 'azurerm_kubernetes_cluster'))[0]}.id}`;
    expect(assignments.map((a) => [a.role_definition_name, a.scope]).sort()).toEqual([
      ['AcrPush', REGISTRY_ID],
      ['Azure Kubernetes Service Cluster User Role', clusterId],
      ['Azure Kubernetes Service RBAC Writer', `${clusterId}/namespaces/shop`],
    ].sort());
  });

  test('the pods\' identity trusts exactly the application\'s ServiceAccount on the cluster\'s issuer', () => {
    expect(only(tf, 'azurerm_user_assigned_identity')).toMatchObject({ name: 'id-shop', resource_group_name: 'rg-lib', tags: { team: 'shop' } });
    expect(only(tf, 'azurerm_federated_identity_credential')).toMatchObject({ subject: 'system:serviceaccount:shop:shop' });
  });

  test('the deploy job\'s variables go to its GitHub environment; no secret, no environment created here', () => {
    const vars = Object.fromEntries(Object.values(resources(tf, 'github_actions_environment_variable')).map((v) => [v.variable_name, v.value]));
    expect(vars).toMatchObject({ ACR_NAME: 'acrshared01', ACR_LOGIN_SERVER: 'acrshared01.azurecr.io', NAMESPACE: 'shop', IMAGE_NAME: 'shop' });
    expect(resources(tf, 'github_actions_environment_secret')).toEqual({});
    expect(resources(tf, 'github_repository_environment')).toEqual({});
  });

  test('its release runs in its namespace, as its ServiceAccount bound to its workload identity', () => {
    const release = only(tf, 'helm_release');
    expect(release.namespace).toBe('shop');
    const identity = Object.keys(resources(tf, 'azurerm_user_assigned_identity'))[0];
    expect(parse((release.values as string[])[0])).toMatchObject({
      serviceAccount: { name: 'shop', workloadIdentityClientId: `\${azurerm_user_assigned_identity.${identity}.client_id}` },
      image: { repository: 'acrshared01.azurecr.io/shop', tag: '3f2c1ab' },
    });
  });

  test('validation names each bad field', () => {
    expect(validateApplication({ name: 'Shop_1', namespace: 'Shop', serviceAccountName: '-x' } as ApplicationProps).map((p) => p.field)).toEqual(['name', 'namespace', 'serviceAccountName']);
    const message = errorOf(() => synthScope((scope) => build(scope, { name: 'Shop_1' })));
    expect(message).toMatch(/^Invalid application ".*shop": 1 problem\n  - name: "Shop_1" is not allowed: 1-30 lowercase letters/);
    expect(() => synthScope((scope) => build(scope, { namespace: 'A' }))).toThrow(ValidationError);
  });
});
