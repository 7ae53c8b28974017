import { join } from 'node:path';
import { DEFAULT_MAX_HISTORY, type AppValues } from '../constructs/app-release';
import type { ContainerRegistryProps } from '../constructs/container-registry';
import type { KubernetesClusterProps } from '../constructs/kubernetes-cluster';
import type { RegistryPurgeProps } from '../constructs/registry-tasks';
import type { DelegableRole } from '../constructs/role-conditions';
import type { GithubActionsIdentityProps } from '../constructs/github-actions-identity';
import type { GithubEnvironmentProps } from '../constructs/github-environment';
import type { ImageAdmissionProps } from '../constructs/image-admission';
import type { AppConfig, EnvironmentConfig, SupplyChainConfig } from './environments';

/** The application chart shipped in this repository. */
export const CHART_PATH = join(__dirname, '..', 'charts', 'ai-app');

/** Name of the environment's Log Analytics workspace. */
export function workspaceName(env: EnvironmentConfig): string {
  return `log-${env.cluster.name}`;
}

/** Log Analytics workspace names: 4-63 letters, digits or hyphens, alphanumeric at both ends. */
export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/;

/** The registry props an environment's config stands for. Used by the stack and by config validation alike. */
export function registryProps(env: EnvironmentConfig, resourceGroupName = env.resourceGroupName): ContainerRegistryProps {
  const r = env.registry;
  return {
    name: r.name,
    resourceGroupName,
    location: env.location,
    sku: r.sku,
    geoReplications: r.geoReplications,
    zoneRedundancyEnabled: r.zoneRedundancyEnabled,
    retentionDays: r.retentionDays,
    dataEndpointEnabled: r.dataEndpointEnabled,
    publicNetworkAccessEnabled: r.publicNetworkAccessEnabled,
    allowedIpRanges: r.allowedIpRanges,
    tags: env.tags,
  };
}

/** Name of the registry's purge task, the same in every environment's registry. */
export const PURGE_TASK_NAME = 'purge-app-images';

/**
 * The purge task an environment's config stands for, without the registry (the stack passes its own): every
 * application's repository, the config's schedule, age and keep, and the floor for keep its releases need.
 */
export function purgeProps(env: EnvironmentConfig, resourceGroupName = env.resourceGroupName): Omit<RegistryPurgeProps, 'registry'> {
  const purge = env.registry.purge;
  return {
    name: PURGE_TASK_NAME,
    identityName: `id-acr-purge-${env.name}`,
    resourceGroupName,
    location: env.location,
    repositories: Array.isArray(env.applications) ? env.applications.map((a) => a?.imageName) : [],
    schedule: purge?.schedule,
    olderThanDays: purge?.olderThanDays,
    keep: purge?.keep,
    // The workload stacks' releases keep AppRelease's default history.
    releaseHistoryDepth: DEFAULT_MAX_HISTORY,
    tags: env.tags,
  };
}

/** The cluster props an environment's config stands for. */
export function clusterProps(
  env: EnvironmentConfig,
  resourceGroupName = env.resourceGroupName,
  logAnalyticsWorkspaceId?: string,
): KubernetesClusterProps {
  const c = env.cluster;
  return {
    name: c.name,
    resourceGroupName,
    location: env.location,
    dnsPrefix: c.dnsPrefix,
    kubernetesVersion: c.kubernetesVersion,
    skuTier: c.skuTier,
    systemNodePool: c.systemNodePool,
    userNodePools: c.userNodePool === undefined ? undefined : [c.userNodePool],
    adminGroupObjectIds: c.adminGroupObjectIds,
    tenantId: env.tenantId,
    authorizedIpRanges: c.authorizedIpRanges,
    privateClusterEnabled: c.privateClusterEnabled,
    logAnalyticsWorkspaceId,
    tags: env.tags,
  };
}

/** Where the GitHub Actions identities live: the state resource group, where no deployer holds a control-plane right. */
export interface IdentityHome {
  readonly resourceGroupName: string;
  readonly location: string;
}

/** `platform-<env>`. */
export function platformStackName(env: EnvironmentConfig): string {
  return `platform-${env.name}`;
}

/** `platform-<env>-admission`: Kyverno and the image policy of a push environment, deployed with the platform. */
export function admissionStackName(env: EnvironmentConfig): string {
  return `${platformStackName(env)}-admission`;
}

/**
 * Whether `platform-<env>-admission` exists: in push environments with applications to guard. A GitOps environment
 * gets the same policy from Flux; one without applications has nothing to guard.
 */
export function hasAdmissionStack(env: EnvironmentConfig): boolean {
  return env.delivery === 'push' && env.applications.length > 0;
}

/**
 * The admission policy an environment's config stands for, the same for Terraform (push) and Flux (GitOps): every
 * application namespace, the signer from `supplyChain` and `repository`, the environment's `imageVerification`.
 */
export function imageAdmissionProps(env: EnvironmentConfig, repository: string, supplyChain: SupplyChainConfig): ImageAdmissionProps {
  return {
    namespaces: env.applications.map((a) => a.namespace),
    signer: { repository, workflow: supplyChain.workflow, branch: supplyChain.branch },
    mode: env.imageVerification,
  };
}

/** `workload-<env>-<application>`: one stack, and one state file, per application and environment. */
export function workloadStackName(env: EnvironmentConfig, app: AppConfig): string {
  return `workload-${env.name}-${app.name}`;
}

/** The GitHub Actions identities' names: the infrastructure deployer and the planner per environment, a deployer per application. */
export const identityNames = {
  infra: (env: EnvironmentConfig) => `id-github-infra-${env.name}`,
  plan: (env: EnvironmentConfig) => `id-github-plan-${env.name}`,
  deploy: (env: EnvironmentConfig, app: AppConfig) => `id-github-deploy-${env.name}-${app.name}`,
};

/** The identity GitHub Actions deploys one application as: trusts the application's GitHub environment subject only. */
export function deployIdentityProps(env: EnvironmentConfig, app: AppConfig, repository: string, home: IdentityHome): GithubActionsIdentityProps {
  return { name: identityNames.deploy(env, app), ...home, repository, environments: [app.githubEnvironment], tags: env.tags };
}

/** The read-only identity that pull-request jobs plan as: trusts `repo:<owner>/<name>:pull_request` only. */
export function planIdentityProps(env: EnvironmentConfig, repository: string, home: IdentityHome): GithubActionsIdentityProps {
  return { name: identityNames.plan(env), ...home, repository, pullRequests: true, tags: env.tags };
}

/** The infrastructure deployer of one environment: trusts the environment's own GitHub environment subject. */
export function infraIdentityProps(env: EnvironmentConfig, repository: string, home: IdentityHome): GithubActionsIdentityProps {
  return { name: identityNames.infra(env), ...home, repository, environments: [env.github.environment], tags: env.tags };
}

/** `PLAN_<ENV>_`: the repository variables pull-request jobs read the environment's plan identity from. */
export function planVariablePrefix(env: EnvironmentConfig): string {
  return `PLAN_${env.name.toUpperCase().replace(/-/g, '_')}_`;
}

/** The GitHub environments of one environment: its own (the infrastructure workflow's) and each application's. */
export function githubEnvironmentNames(env: EnvironmentConfig): string[] {
  return [...new Set([env.github.environment, ...env.applications.map((a) => a.githubEnvironment)])];
}

/**
 * The GitHub environment as `state-bootstrap` creates it: protection rules (reviewers, protected branches) and the
 * infrastructure deployer's secrets, which the infrastructure workflow needs before `platform-<env>` exists.
 */
export function githubEnvironmentGovernanceProps(
  env: EnvironmentConfig,
  repository: string,
  secrets: Record<string, string> = {},
  environment = env.github.environment,
): GithubEnvironmentProps {
  const { users, teams } = env.github.reviewers;
  return {
    repository,
    environment,
    reviewers: users.length + teams.length > 0 ? { users, teams } : undefined,
    branchPolicy: env.github.branchPolicy,
    secrets,
    variables: {},
  };
}

/** The chart values an application's config stands for; the image is set by AppRelease. */
export function appValues(a: AppConfig, workloadIdentityClientId: string): AppValues {
  return {
    replicaCount: a.replicaCount,
    serviceAccount: { name: a.serviceAccountName, workloadIdentityClientId },
    resources: { requests: { ...a.resources.requests }, limits: { ...a.resources.limits } },
    autoscaling: { enabled: true, ...a.autoscaling },
    podDisruptionBudget: { ...a.podDisruptionBudget },
  };
}

/**
 * The roles `platform-<env>` assigns, all at the environment's resource group or below (registry, cluster, namespace):
 * the infrastructure deployer may delegate exactly these and no others. State access is granted by `state-bootstrap`.
 */
export const PLATFORM_ASSIGNED_ROLES: readonly DelegableRole[] = [
  'AcrDelete', 'AcrPull', 'AcrPush', 'Azure Kubernetes Service Cluster User Role', 'Azure Kubernetes Service RBAC Writer', 'Reader',
  // GitOps environments: the kubelet reads Flux's source container, the deployers publish to it.
  'Storage Blob Data Contributor', 'Storage Blob Data Reader',
];
