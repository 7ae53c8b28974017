import { Construct } from 'constructs';
import { AzurermBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { DataAzurermResourceGroup } from '@cdktf/provider-azurerm/lib/data-azurerm-resource-group';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { GithubProvider } from '@cdktf/provider-github/lib/provider';
import { ActionsVariable } from '@cdktf/provider-github/lib/actions-variable';
import { ContainerRegistry } from '../constructs/container-registry';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import { GithubActionsIdentity } from '../constructs/github-actions-identity';
import { GithubEnvironment } from '../constructs/github-environment';
import { repositoryName, repositoryOwner } from '../constructs/github';
import { assignRole } from '../constructs/principal';
import { writeOnlyBlobs } from '../constructs/role-conditions';
import { WorkloadIdentity } from '../constructs/workload-identity';
import type { EnvironmentConfig, StateConfig } from './environments';
import { clusterProps, deployIdentityProps, githubEnvironmentPlatformProps, planIdentityProps, registryProps, stateContainerScope, workspaceName } from './props';

export interface EnvironmentStackProps {
  readonly env: EnvironmentConfig;
  readonly state: StateConfig;
  /** The GitHub repository whose workflows deploy, `owner/name`. */
  readonly repository: string;
}

/** The backend every environment stack uses: azurerm, Entra ID auth, one state key per stack in the environment's container. */
export function useAzureStateBackend(stack: TerraformStack, name: string, { env, state }: EnvironmentStackProps): void {
  new AzurermBackend(stack, {
    subscriptionId: state.subscriptionId,
    tenantId: state.tenantId,
    resourceGroupName: state.resourceGroupName,
    storageAccountName: state.storageAccountName,
    containerName: env.stateContainerName,
    key: `${name}.tfstate`,
    useAzureadAuth: true,
  });
}

/** The github provider every stack that writes to GitHub uses: the owner from config; the token from GITHUB_TOKEN at deploy time, never from code. */
export function useGithubProvider(stack: TerraformStack, repository: string): void {
  new GithubProvider(stack, 'github', { owner: repositoryOwner(repository) });
}

/**
 * `platform-<env>`: in the environment's resource group, a Log Analytics workspace, registry and cluster (attached to the registry),
 * the GitHub Actions identities with their least-privilege roles, the secrets and variables the workflows read
 * (in the GitHub environment that `state-bootstrap` owns), and the outputs the workload stack reads.
 */
export class PlatformStack extends TerraformStack {
  public readonly registry: ContainerRegistry;
  public readonly cluster: KubernetesCluster;
  /** The environment's resource group, which `state-bootstrap` creates (so deployers need no subscription-wide rights). */
  public readonly resourceGroup: DataAzurermResourceGroup;
  public readonly deployIdentity: GithubActionsIdentity;
  public readonly planIdentity: GithubActionsIdentity;
  /** The application pods' Azure identity, federated with the cluster's OIDC issuer for the app's ServiceAccount. */
  public readonly appIdentity: WorkloadIdentity;

  constructor(scope: Construct, name: string, props: EnvironmentStackProps) {
    super(scope, name);
    const { env, state, repository } = props;
    useAzureStateBackend(this, name, props);
    new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId: env.subscriptionId,
      tenantId: env.tenantId,
      storageUseAzuread: true,
      // Deployers hold no subscription-wide right; state-bootstrap registered the resource providers.
      resourceProviderRegistrations: 'none',
    });
    useGithubProvider(this, repository);
    const client = new DataAzurermClientConfig(this, 'client');

    this.resourceGroup = new DataAzurermResourceGroup(this, 'resource-group', { name: env.resourceGroupName });
    const rgName = this.resourceGroup.name;

    const workspace = new LogAnalyticsWorkspace(this, 'logs', {
      name: workspaceName(env),
      resourceGroupName: rgName,
      location: env.location,
      sku: 'PerGB2018',
      retentionInDays: env.logAnalyticsRetentionDays,
      // The monitoring agent authenticates with its managed identity; shared keys stay off.
      localAuthenticationEnabled: false,
      tags: { ...env.tags },
    });

    this.registry = new ContainerRegistry(this, 'registry', { ...registryProps(env, rgName), preventDestroy: env.protected });
    this.cluster = new KubernetesCluster(this, 'cluster', { ...clusterProps(env, rgName, workspace.id), preventDestroy: env.protected });
    this.cluster.attachRegistry(this.registry);

    this.appIdentity = new WorkloadIdentity(this, 'app-identity', {
      name: `id-${env.app.releaseName}-${env.name}`,
      resourceGroupName: rgName,
      location: env.location,
      oidcIssuerUrl: this.cluster.oidcIssuerUrl,
      namespace: env.app.namespace,
      serviceAccountName: env.app.serviceAccountName,
      tags: env.tags,
    });

    // Deploys the application: pushes images, deploys the release into its namespace, reads and writes state.
    const stateScope = stateContainerScope(state, env);
    this.deployIdentity = new GithubActionsIdentity(this, 'github-deploy', deployIdentityProps(env, repository, rgName));
    this.registry.grantPush(this.deployIdentity);
    this.cluster.grantClusterUser(this.deployIdentity);
    this.cluster.grantNamespaceWriter(this.deployIdentity, env.app.namespace);
    assignRole(this, 'github-deploy-state', {
      principal: this.deployIdentity,
      role: 'Storage Blob Data Contributor',
      scope: stateScope,
      condition: writeOnlyBlobs(`workload-${env.name}.tfstate`),
    });

    // Plans pull requests: reads the environment's resources and state, changes nothing. A refresh reads the
    // cluster's user kubeconfig (listClusterUserCredential; with Azure RBAC it grants nothing inside the cluster)
    // and the role assignments on the state container, which lie outside the resource group.
    this.planIdentity = new GithubActionsIdentity(this, 'github-plan', planIdentityProps(env, repository, rgName));
    assignRole(this, 'github-plan-reader', { principal: this.planIdentity, role: 'Reader', scope: this.resourceGroup.id });
    this.cluster.grantClusterUser(this.planIdentity);
    assignRole(this, 'github-plan-state-reader', { principal: this.planIdentity, role: 'Reader', scope: stateScope });
    assignRole(this, 'github-plan-state', { principal: this.planIdentity, role: 'Storage Blob Data Reader', scope: stateScope });

    new GithubEnvironment(
      this,
      'github-environment',
      githubEnvironmentPlatformProps(
        env,
        repository,
        { AZURE_CLIENT_ID: this.deployIdentity.clientId, AZURE_TENANT_ID: client.tenantId, AZURE_SUBSCRIPTION_ID: client.subscriptionId },
        {
          ACR_NAME: this.registry.name,
          ACR_LOGIN_SERVER: this.registry.loginServer,
          AKS_CLUSTER: this.cluster.name,
          RESOURCE_GROUP: rgName,
          NAMESPACE: env.app.namespace,
          IMAGE_NAME: env.app.imageName,
        },
      ),
    );
    // Pull-request jobs declare no environment (that would change their OIDC subject), so they read repository variables.
    const prefix = `PLAN_${env.name.toUpperCase()}_`;
    for (const [suffix, value] of Object.entries({ AZURE_CLIENT_ID: this.planIdentity.clientId, AZURE_TENANT_ID: client.tenantId, AZURE_SUBSCRIPTION_ID: client.subscriptionId })) {
      new ActionsVariable(this, `plan-variable-${suffix}`, { repository: repositoryName(repository), variableName: `${prefix}${suffix}`, value });
    }

    new TerraformOutput(this, 'registry_id', { value: this.registry.id, description: 'Resource ID of the container registry' });
    new TerraformOutput(this, 'registry_name', { value: this.registry.name, description: 'Name of the container registry' });
    new TerraformOutput(this, 'registry_login_server', { value: this.registry.loginServer, description: 'Login server of the container registry' });
    new TerraformOutput(this, 'cluster_id', { value: this.cluster.id, description: 'Resource ID of the AKS cluster' });
    new TerraformOutput(this, 'cluster_name', { value: this.cluster.name, description: 'Name of the AKS cluster' });
    new TerraformOutput(this, 'cluster_oidc_issuer_url', { value: this.cluster.oidcIssuerUrl, description: 'OIDC issuer URL of the AKS cluster' });
    new TerraformOutput(this, 'github_deploy_client_id', { value: this.deployIdentity.clientId, description: 'Client ID GitHub Actions deploys as (environment secret AZURE_CLIENT_ID)' });
    new TerraformOutput(this, 'app_identity_client_id', { value: this.appIdentity.clientId, description: 'Client ID of the application pods\' workload identity' });
    new TerraformOutput(this, 'github_plan_client_id', { value: this.planIdentity.clientId, description: 'Client ID pull-request plans run as (read-only)' });
  }
}
