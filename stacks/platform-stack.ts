import { Construct } from 'constructs';
import { AzurermBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { ContainerRegistry } from '../constructs/container-registry';
import { KubernetesCluster } from '../constructs/kubernetes-cluster';
import type { EnvironmentConfig, StateConfig } from './environments';
import { clusterProps, registryProps } from './props';

export interface EnvironmentStackProps {
  readonly env: EnvironmentConfig;
  readonly state: StateConfig;
}

/** The backend every environment stack uses: azurerm, Entra ID auth, one state key per stack in the environment's container. */
export function useAzureStateBackend(stack: TerraformStack, name: string, { env, state }: EnvironmentStackProps): void {
  new AzurermBackend(stack, {
    subscriptionId: state.subscriptionId,
    resourceGroupName: state.resourceGroupName,
    storageAccountName: state.storageAccountName,
    containerName: env.stateContainerName,
    key: `${name}.tfstate`,
    useAzureadAuth: true,
  });
}

/**
 * `platform-<env>`: resource group, Log Analytics workspace, registry and cluster (attached to the
 * registry), and the outputs the workload stack and the workflows read.
 */
export class PlatformStack extends TerraformStack {
  public readonly registry: ContainerRegistry;
  public readonly cluster: KubernetesCluster;
  public readonly resourceGroup: ResourceGroup;

  constructor(scope: Construct, name: string, props: EnvironmentStackProps) {
    super(scope, name);
    const { env } = props;
    useAzureStateBackend(this, name, props);
    new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId: env.subscriptionId,
      tenantId: env.tenantId,
      storageUseAzuread: true,
    });

    this.resourceGroup = new ResourceGroup(this, 'resource-group', {
      name: env.resourceGroupName,
      location: env.location,
      tags: { ...env.tags },
    });
    const rgName = this.resourceGroup.name;

    const workspace = new LogAnalyticsWorkspace(this, 'logs', {
      name: `log-${env.cluster.name}`,
      resourceGroupName: rgName,
      location: env.location,
      sku: 'PerGB2018',
      retentionInDays: env.logAnalyticsRetentionDays,
      tags: { ...env.tags },
    });

    this.registry = new ContainerRegistry(this, 'registry', registryProps(env, rgName));
    this.cluster = new KubernetesCluster(this, 'cluster', clusterProps(env, rgName, workspace.id));
    this.cluster.attachRegistry(this.registry);

    new TerraformOutput(this, 'registry_id', { value: this.registry.id, description: 'Resource ID of the container registry' });
    new TerraformOutput(this, 'registry_name', { value: this.registry.name, description: 'Name of the container registry' });
    new TerraformOutput(this, 'registry_login_server', { value: this.registry.loginServer, description: 'Login server of the container registry' });
    new TerraformOutput(this, 'cluster_id', { value: this.cluster.id, description: 'Resource ID of the AKS cluster' });
    new TerraformOutput(this, 'cluster_name', { value: this.cluster.name, description: 'Name of the AKS cluster' });
    new TerraformOutput(this, 'cluster_oidc_issuer_url', { value: this.cluster.oidcIssuerUrl, description: 'OIDC issuer URL of the AKS cluster' });
  }
}
