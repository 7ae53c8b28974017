import { AzurermBackend, Fn, TerraformStack } from 'cdktf';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { GithubProvider } from '@cdktf/provider-github/lib/provider';
import { repositoryOwner } from '../constructs/github';
import type { EnvironmentConfig, StateConfig } from './environments';

/** What every environment stack is built from. */
export interface EnvironmentStackProps {
  readonly env: EnvironmentConfig;
  readonly state: StateConfig;
  /** The GitHub repository whose workflows deploy, `owner/name`. */
  readonly repository: string;
}

/** The backend every environment stack uses: azurerm, Entra ID auth, one state key per stack in the environment's container. */
export function useAzureStateBackend(stack: TerraformStack, name: string, { env, state }: Pick<EnvironmentStackProps, 'env' | 'state'>): void {
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

/**
 * The azurerm provider of an environment stack, in the environment's subscription. Deployers hold no
 * subscription-wide right, so it registers no resource provider: state-bootstrap registered them.
 */
export function useAzurermProvider(stack: TerraformStack, env: EnvironmentConfig): AzurermProvider {
  return new AzurermProvider(stack, 'azurerm', {
    // No storage data-plane calls: the stacks set no queue or static-website properties and create containers through
    // the resource manager, and a deployer or the read-only planner holds no data role on a GitOps storage account.
    features: [{ storage: [{ dataPlaneAvailable: false }] }],
    subscriptionId: env.subscriptionId,
    tenantId: env.tenantId,
    storageUseAzuread: true,
    resourceProviderRegistrations: 'none',
  });
}

/** An aliased provider for the state subscription, where the GitHub Actions identities live; undefined when it is the environment's own. */
export function useStateSubscriptionProvider(stack: TerraformStack, { env, state }: Pick<EnvironmentStackProps, 'env' | 'state'>): AzurermProvider | undefined {
  if (state.subscriptionId === env.subscriptionId) return undefined;
  return new AzurermProvider(stack, 'azurerm-state', {
    alias: 'state', features: [{}], subscriptionId: state.subscriptionId, tenantId: state.tenantId, resourceProviderRegistrations: 'none',
  });
}

/** The github provider every stack that writes to GitHub uses: the owner from config; the token from GITHUB_TOKEN at deploy time, never from code. */
export function useGithubProvider(stack: TerraformStack, repository: string): void {
  new GithubProvider(stack, 'github', { owner: repositoryOwner(repository) });
}

/** The AKS AAD server application ID that kubelogin requests tokens for (the same in every tenant). */
export const AKS_AAD_SERVER_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** A cluster's API server, as its platform stack's outputs give it: host and base64-encoded CA certificate. */
export interface ClusterEndpoint {
  readonly host: string;
  readonly clusterCaCertificate: string;
}

/**
 * The helm provider of a stack that installs into a cluster: configured from the platform stack's outputs (never
 * from a cluster created in the same run), authenticating with `kubelogin get-token` (the cluster has no local accounts).
 */
export function useKubeloginHelmProvider(stack: TerraformStack, cluster: ClusterEndpoint): HelmProvider {
  return new HelmProvider(stack, 'helm', {
    kubernetes: {
      host: cluster.host,
      clusterCaCertificate: Fn.base64decode(cluster.clusterCaCertificate),
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: 'kubelogin',
        args: ['get-token', '--login', 'azurecli', '--server-id', AKS_AAD_SERVER_ID],
      },
    },
  });
}
