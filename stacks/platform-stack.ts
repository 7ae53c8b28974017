import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { DataAzurermResourceGroup } from '@cdktf/provider-azurerm/lib/data-azurerm-resource-group';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { Application } from '../constructs/application';
import { ContainerRegistry } from '../constructs/container-registry';
import { GitOps } from '../constructs/gitops';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import { RegistryPurge } from '../constructs/registry-tasks';
import { GithubActionsIdentity, IGithubActionsIdentity } from '../constructs/github-actions-identity';
import { assignRole } from '../constructs/principal';
import type { AppConfig, EnvironmentConfig } from './environments';
import { EnvironmentStackProps, useAzureStateBackend, useAzurermProvider, useGithubProvider, useStateSubscriptionProvider } from './plumbing';
import { FLUX_CONFIGURATION_NAME, FLUX_NAMESPACE, GITOPS_CONTAINER, KUBELET_VARIABLE, REGISTRY_VARIABLE, clientIdVariable, gitopsKustomizations } from './gitops';
import { clusterProps, identityNames, purgeProps, registryProps, workspaceName } from './props';

export type { EnvironmentStackProps } from './plumbing';

/** An output name for an application: its name with hyphens as underscores. */
const outputName = (app: AppConfig, what: string) => `application_${app.name.replace(/-/g, '_')}_${what}`;

/**
 * `platform-<env>`: in the environment's resource group, a Log Analytics workspace, the registry and the cluster
 * (attached to the registry), the registry's scheduled purge, the pull-request plan identity's read rights, and one Application per configured
 * application (its workload identity, its deployer's rights, its workflow variables). The GitHub Actions identities
 * themselves, and their state access, belong to state-bootstrap; this stack looks them up.
 */
export class PlatformStack extends TerraformStack {
  public readonly registry: ContainerRegistry;
  public readonly cluster: KubernetesCluster;
  /** The environment's resource group, which `state-bootstrap` creates (so deployers need no subscription-wide rights). */
  public readonly resourceGroup: DataAzurermResourceGroup;
  /** The read-only identity pull-request plans run as. */
  public readonly planIdentity: IGithubActionsIdentity;
  /** The environment's applications, by name. */
  public readonly applications: Readonly<Record<string, Application>>;
  /** The scheduled `acr purge` of every application's repository in the registry; none while the environment hosts no application. */
  public readonly purge?: RegistryPurge;
  /** Flux and its source, in a GitOps environment (`delivery: 'gitops'`). */
  public readonly gitops?: GitOps;

  constructor(scope: Construct, name: string, props: EnvironmentStackProps) {
    super(scope, name);
    const { env, repository } = props;
    useAzureStateBackend(this, name, props);
    useAzurermProvider(this, env);
    useGithubProvider(this, repository);
    const lookup = identityLookup(this, props);

    this.resourceGroup = new DataAzurermResourceGroup(this, 'resource-group', { name: env.resourceGroupName });
    const workspace = logWorkspace(this, env, this.resourceGroup.name);
    this.registry = new ContainerRegistry(this, 'registry', { ...registryProps(env, this.resourceGroup.name), preventDestroy: env.protected });
    this.cluster = new KubernetesCluster(this, 'cluster', { ...clusterProps(env, this.resourceGroup.name, workspace.id), preventDestroy: env.protected });
    this.cluster.attachRegistry(this.registry);

    // Plans pull requests: reads the environment's resources, changes nothing. A refresh reads the cluster's user
    // kubeconfig (listClusterUserCredential; with Azure RBAC it grants nothing inside the cluster).
    this.planIdentity = lookup('github-plan', identityNames.plan(env));
    assignRole(this, 'github-plan-reader', { principal: this.planIdentity, role: 'Reader', scope: this.resourceGroup.id });
    this.cluster.grantClusterUser(this.planIdentity);

    this.applications = Object.fromEntries(env.applications.map((app) => [app.name, this.addApplication(props, app, lookup)]));
    if (env.delivery === 'gitops') this.gitops = this.addGitOps(env);
    // Old tags of the environment's applications go nightly, never the newest `keep` (at least the releases' history).
    if (env.applications.length > 0) this.purge = new RegistryPurge(this, 'registry-purge', { ...purgeProps(env, this.resourceGroup.name), registry: this.registry });
    this.addOutputs();
  }

  /**
   * Flux on the cluster, reading `deploy/<env>` from a blob container with the kubelet identity; each application's
   * deployer may publish there. The manifests get the registry and the workload identities as substitutions.
   */
  private addGitOps(env: EnvironmentConfig): GitOps {
    const substitute: Record<string, string> = { [REGISTRY_VARIABLE]: this.registry.loginServer };
    for (const app of env.applications) substitute[clientIdVariable(app)] = this.applications[app.name].workloadIdentity.clientId;
    const gitops = new GitOps(this, 'gitops', {
      name: env.gitops!.storageAccountName,
      resourceGroupName: this.resourceGroup.name,
      location: env.location,
      tags: env.tags,
      cluster: this.cluster,
      containerName: GITOPS_CONTAINER,
      configurationName: FLUX_CONFIGURATION_NAME,
      namespace: FLUX_NAMESPACE,
      kustomizations: gitopsKustomizations(env, { platform: { [KUBELET_VARIABLE]: this.cluster.kubeletIdentityClientId }, apps: substitute }),
      preventDestroy: env.protected,
    });
    for (const application of Object.values(this.applications)) gitops.grantPublish(application.deployer);
    new TerraformOutput(this, 'gitops_storage_account', { value: gitops.storageAccount.name, description: 'Storage account Flux reads deploy/<env> from' });
    return gitops;
  }

  /** One application: its deployer (made by state-bootstrap) gets its rights, its pods get their identity. */
  private addApplication({ env, repository }: EnvironmentStackProps, app: AppConfig, lookup: ReturnType<typeof identityLookup>): Application {
    const deployer = lookup(`github-deploy-${app.name}`, identityNames.deploy(env, app));
    const application = new Application(this, `application-${app.name}`, {
      name: app.name,
      registry: this.registry,
      cluster: this.cluster,
      namespace: app.namespace,
      serviceAccountName: app.serviceAccountName,
      imageName: app.imageName,
      deployer,
      delivery: env.delivery,
      workloadIdentity: { name: `id-${app.name}-${env.name}`, resourceGroupName: this.resourceGroup.name, location: env.location, tags: env.tags },
      // The sign-in secrets (client, tenant, subscription IDs) are written by state-bootstrap, beside the identities.
      github: { repository, environment: app.githubEnvironment, variables: { RESOURCE_GROUP: this.resourceGroup.name, ...gitopsVariables(env) } },
    });
    new TerraformOutput(this, outputName(app, 'deploy_client_id'), { value: deployer.clientId, description: `Client ID the ${app.name} workflow deploys as (secret AZURE_CLIENT_ID)` });
    new TerraformOutput(this, outputName(app, 'identity_client_id'), { value: application.workloadIdentity.clientId, description: `Client ID of the ${app.name} pods' workload identity` });
    return application;
  }

  private addOutputs(): void {
    new TerraformOutput(this, 'registry_id', { value: this.registry.id, description: 'Resource ID of the container registry' });
    new TerraformOutput(this, 'registry_name', { value: this.registry.name, description: 'Name of the container registry' });
    new TerraformOutput(this, 'registry_login_server', { value: this.registry.loginServer, description: 'Login server of the container registry' });
    new TerraformOutput(this, 'cluster_id', { value: this.cluster.id, description: 'Resource ID of the AKS cluster' });
    new TerraformOutput(this, 'cluster_name', { value: this.cluster.name, description: 'Name of the AKS cluster' });
    new TerraformOutput(this, 'cluster_oidc_issuer_url', { value: this.cluster.oidcIssuerUrl, description: 'OIDC issuer URL of the AKS cluster' });
    new TerraformOutput(this, 'github_plan_client_id', { value: this.planIdentity.clientId, description: 'Client ID pull-request plans run as (read-only)' });
  }
}

/**
 * Looks up a GitHub Actions identity that state-bootstrap created in the state resource group, where no deployer
 * can change whom it trusts (through an aliased provider when the state lives in another subscription).
 */
function identityLookup(stack: TerraformStack, props: EnvironmentStackProps): (id: string, name: string) => IGithubActionsIdentity {
  const provider = useStateSubscriptionProvider(stack, props);
  return (id, name) => GithubActionsIdentity.fromExisting(stack, id, { name, resourceGroupName: props.state.resourceGroupName, provider });
}

/** What a GitOps deploy job publishes to: the storage account and container Flux reads. */
function gitopsVariables(env: EnvironmentConfig): Record<string, string> {
  return env.delivery === 'gitops' && env.gitops ? { GITOPS_STORAGE_ACCOUNT: env.gitops.storageAccountName, GITOPS_CONTAINER } : {};
}

/** The environment's Log Analytics workspace, which the cluster's monitoring agent writes to with its managed identity. */
function logWorkspace(stack: TerraformStack, env: EnvironmentConfig, resourceGroupName: string): LogAnalyticsWorkspace {
  return new LogAnalyticsWorkspace(stack, 'logs', {
    name: workspaceName(env),
    resourceGroupName,
    location: env.location,
    sku: 'PerGB2018',
    retentionInDays: env.logAnalyticsRetentionDays,
    // The monitoring agent authenticates with its managed identity; shared keys stay off.
    localAuthenticationEnabled: false,
    tags: { ...env.tags },
  });
}
