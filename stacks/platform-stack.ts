import { Construct } from 'constructs';
import { AzurermBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { DataAzurermResourceGroup } from '@cdktf/provider-azurerm/lib/data-azurerm-resource-group';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { GithubProvider } from '@cdktf/provider-github/lib/provider';
import { ContainerRegistry } from '../constructs/container-registry';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import { GithubActionsIdentity, IGithubActionsIdentity } from '../constructs/github-actions-identity';
import { GithubEnvironment } from '../constructs/github-environment';
import { repositoryOwner } from '../constructs/github';
import { assignRole } from '../constructs/principal';
import { WorkloadIdentity } from '../constructs/workload-identity';
import type { EnvironmentConfig, StateConfig } from './environments';
import { clusterProps, deployIdentityProps, githubEnvironmentPlatformProps, planIdentityProps, registryProps, workspaceName } from './props';

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
  /** The identity the app workflow deploys as; `state-bootstrap` creates and federates it, this stack grants it roles. */
  public readonly deployIdentity: IGithubActionsIdentity;
  /** The read-only identity pull-request plans run as; created by `state-bootstrap` like the deploy identity. */
  public readonly planIdentity: IGithubActionsIdentity;
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

    // The GitHub Actions identities live in the state resource group (state-bootstrap), where no deployer can change
    // whom they trust; state-bootstrap also grants their state access, outside the locked storage account.
    const stateProvider = state.subscriptionId === env.subscriptionId ? undefined : new AzurermProvider(this, 'azurerm-state', {
      alias: 'state', features: [{}], subscriptionId: state.subscriptionId, tenantId: state.tenantId, resourceProviderRegistrations: 'none',
    });
    const lookup = (name: string) => ({ name, resourceGroupName: state.resourceGroupName, provider: stateProvider });
    // Deploys the application: pushes images, deploys the release into its namespace.
    this.deployIdentity = GithubActionsIdentity.fromExisting(this, 'github-deploy', lookup(deployIdentityProps(env, repository).name));
    this.registry.grantPush(this.deployIdentity);
    this.cluster.grantClusterUser(this.deployIdentity);
    this.cluster.grantNamespaceWriter(this.deployIdentity, env.app.namespace);

    // Plans pull requests: reads the environment's resources, changes nothing. A refresh reads the cluster's user
    // kubeconfig (listClusterUserCredential; with Azure RBAC it grants nothing inside the cluster).
    this.planIdentity = GithubActionsIdentity.fromExisting(this, 'github-plan', lookup(planIdentityProps(env, repository).name));
    assignRole(this, 'github-plan-reader', { principal: this.planIdentity, role: 'Reader', scope: this.resourceGroup.id });
    this.cluster.grantClusterUser(this.planIdentity);

    // The sign-in secrets (client, tenant, subscription IDs) are written by state-bootstrap, beside the identities.
    new GithubEnvironment(this, 'github-environment', githubEnvironmentPlatformProps(env, repository, {
      ACR_NAME: this.registry.name,
      ACR_LOGIN_SERVER: this.registry.loginServer,
      AKS_CLUSTER: this.cluster.name,
      RESOURCE_GROUP: rgName,
      NAMESPACE: env.app.namespace,
      IMAGE_NAME: env.app.imageName,
    }));

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
