// The package's public API: these names, and nothing else. Patterns (./names), small helpers and the functions the
// kit's own stacks share stay internal; code inside this repository imports them by file path.

export { ValidationError } from './validation';
export type { Problem } from './validation';
export type { IPrincipal, PrincipalType } from './principal';
export type { AzureResourceProps, GrantScope } from './resource';

export { ContainerRegistry, validateRegistry, validateRegistryAttributes, validateRegistryLookup } from './container-registry';
export type {
  ContainerRegistryAttributes, ContainerRegistryLookup, ContainerRegistryProps, GeoReplication, IContainerRegistry, RegistrySku,
} from './container-registry';

export { RegistryPurge, cronProblem, purgeCommand, validateRegistryPurge } from './registry-tasks';
export type { RegistryPurgeProps } from './registry-tasks';

export { KubernetesCluster, validateCluster, validateClusterAttributes, validateClusterLookup, validateNamespace } from './kubernetes-cluster';
export type {
  ClusterSkuTier, IKubernetesCluster, KubernetesClusterAttributes, KubernetesClusterLookup, KubernetesClusterProps, NetworkPolicy,
  NodeOsSku, NodeOsUpgradeChannel, NodePoolProps, UpgradeChannel,
} from './kubernetes-cluster';

export { GithubActionsIdentity, validateGithubActionsIdentity } from './github-actions-identity';
export type { GithubActionsIdentityLookup, GithubActionsIdentityProps, IGithubActionsIdentity } from './github-actions-identity';

export { GithubEnvironment, validateGithubEnvironment } from './github-environment';
export type { DeploymentBranchPolicy, EnvironmentReviewers, GithubEnvironmentProps } from './github-environment';

export { WorkloadIdentity, validateWorkloadIdentity } from './workload-identity';
export type { WorkloadIdentityProps } from './workload-identity';

export { Application, validateApplication } from './application';
export type { ApplicationProps } from './application';

export { GitOps, validateGitOps } from './gitops';
export type { GitOpsKustomization, GitOpsProps } from './gitops';

export { AppRelease, validateAppRelease } from './app-release';
export type { AppReleaseProps, AppValues, ResourceQuantities } from './app-release';

export { POLICY_RULES, SecurityPolicy } from './policy';
export type { PolicyFinding, PolicyRule, PolicyWaiver } from './policy';

export { synthesize } from './synthesize';
export type { SynthesizeOptions } from './synthesize';

export { ImageAdmission, KYVERNO_APP_VERSION, KYVERNO_CHART, KYVERNO_NAMESPACE, KYVERNO_VALUES, imagePolicyValues, kyvernoValues, validateImageAdmission } from './image-admission';
export type { ImageAdmissionProps, SignatureFormat } from './image-admission';
