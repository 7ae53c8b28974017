import type { ClusterSkuTier, NodePoolProps } from '../constructs/kubernetes-cluster';
import type { GeoReplication, RegistrySku } from '../constructs/container-registry';
import type { ResourceQuantities } from '../constructs/app-release';
import type { PolicyWaiver } from '../constructs/policy';
import type { DeploymentBranchPolicy } from '../constructs/github-environment';

export type EnvironmentName = 'dev' | 'staging' | 'prod';
export const ENVIRONMENT_NAMES: readonly EnvironmentName[] = ['dev', 'staging', 'prod'];

/** Where Terraform state lives: one storage account (made by the `state-bootstrap` stack), one container per environment. */
export interface StateConfig {
  /** Subscription that holds the state storage account. */
  readonly subscriptionId: string;
  /**
   * Entra ID tenant of that subscription. The deployers' identities live there, and a managed identity exists in one
   * tenant only, so every environment's `tenantId` must be this one.
   */
  readonly tenantId: string;
  readonly resourceGroupName: string;
  /** Globally unique: 3-24 lowercase letters or digits. */
  readonly storageAccountName: string;
  readonly location: string;
}

export interface RegistryConfig {
  /** Globally unique: 5-50 letters or digits. */
  readonly name: string;
  readonly sku: RegistrySku;
  /** Replica regions; never the environment's own location. */
  readonly geoReplications: readonly GeoReplication[];
  readonly zoneRedundancyEnabled: boolean;
  /** Days to keep untagged manifests. */
  readonly retentionDays: number;
  readonly dataEndpointEnabled: boolean;
  readonly publicNetworkAccessEnabled: boolean;
  /** IPv4 ranges allowed to reach the registry; empty means no network rules. */
  readonly allowedIpRanges: readonly string[];
}

export interface ClusterConfig {
  readonly name: string;
  readonly dnsPrefix: string;
  /** Pinned minor version, or undefined for AKS's default; the patch channel keeps it current. */
  readonly kubernetesVersion?: string;
  readonly skuTier: ClusterSkuTier;
  readonly systemNodePool: NodePoolProps;
  readonly userNodePool: NodePoolProps;
  /** Entra ID groups with cluster admin through Azure RBAC. */
  readonly adminGroupObjectIds: readonly string[];
  /** IPv4 ranges allowed to reach the API server; empty means any address (still Entra ID authenticated). */
  readonly authorizedIpRanges: readonly string[];
  readonly privateClusterEnabled: boolean;
}

/** The GitHub side of one environment. */
export interface GithubEnvironmentConfig {
  /** The GitHub environment that deploy jobs declare (`environment: <name>`); its OIDC subject is trusted. */
  readonly environment: string;
  /** Required reviewers (GitHub user and team IDs); empty lists mean no approval. */
  readonly reviewers: { readonly users: readonly number[]; readonly teams: readonly number[] };
  /**
   * Which branches may deploy to the environment (and so sign in as its deployers): `'protected'` for branches with
   * branch protection rules, or `{ branches: ['main', 'release/*'] }`.
   */
  readonly branchPolicy: DeploymentBranchPolicy;
}

/** The application as the platform sees it: where it runs and what it is called. */
export interface AppConfig {
  /** Kubernetes namespace of the release; the GitHub deploy identity may write only here. */
  readonly namespace: string;
  /** Repository name of the image in the registry: `<login server>/<imageName>`. */
  readonly imageName: string;
  /** Helm release name. */
  readonly releaseName: string;
  /** The pods' ServiceAccount, federated with the app's workload identity. */
  readonly serviceAccountName: string;
  /** Pods when autoscaling is off; the HPA's floor applies otherwise. */
  readonly replicaCount: number;
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number };
  readonly resources: { readonly requests: ResourceQuantities; readonly limits: ResourceQuantities };
  /** Keep this many pods through voluntary disruptions (node drains, upgrades); off where one replica would block drains. */
  readonly podDisruptionBudget: { readonly enabled: boolean; readonly minAvailable: number };
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /** Subscription the environment is deployed to. */
  readonly subscriptionId: string;
  /** Entra ID tenant of that subscription. */
  readonly tenantId: string;
  /** Home region of everything in the environment. */
  readonly location: string;
  readonly resourceGroupName: string;
  /** Refuse to destroy the registry and cluster (lifecycle.prevent_destroy), and gate replacements and destroys in plan reviews. */
  readonly protected: boolean;
  /** Blob container in the state storage account for this environment's stacks. */
  readonly stateContainerName: string;
  readonly logAnalyticsRetentionDays: number;
  readonly registry: RegistryConfig;
  readonly cluster: ClusterConfig;
  readonly github: GithubEnvironmentConfig;
  readonly app: AppConfig;
  /** Security rules (constructs/policy.ts) this environment is explicitly exempt from, each with its reason; printed at every synth. */
  readonly waivers: readonly PolicyWaiver[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface PlatformConfig {
  /** The repository whose workflows deploy, `owner/name`; the github provider's owner is its owner. */
  readonly repository: string;
  readonly state: StateConfig;
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
}

// Replace these placeholders with your own tenant, subscription and Entra ID group before `cdktf deploy`.
const TENANT_ID = '11111111-2222-3333-4444-555555555555';
const SUBSCRIPTION_ID = '66666666-7777-8888-9999-000000000000';
const PLATFORM_ADMINS_GROUP = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

export const config: PlatformConfig = {
  repository: 'contoso/ai-platform',
  state: {
    subscriptionId: SUBSCRIPTION_ID,
    tenantId: TENANT_ID,
    resourceGroupName: 'rg-aiplatform-tfstate',
    storageAccountName: 'staiplatformtfstate',
    location: 'japaneast',
  },
  environments: {
    dev: {
      name: 'dev',
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      location: 'japaneast',
      resourceGroupName: 'rg-aiplatform-dev',
      protected: false,
      stateContainerName: 'tfstate-dev',
      logAnalyticsRetentionDays: 30,
      registry: {
        name: 'acraiplatformdev',
        sku: 'Premium',
        geoReplications: [],
        zoneRedundancyEnabled: true,
        retentionDays: 7,
        dataEndpointEnabled: true,
        publicNetworkAccessEnabled: true,
        allowedIpRanges: [],
      },
      cluster: {
        name: 'aks-aiplatform-dev',
        dnsPrefix: 'aks-aiplatform-dev',
        skuTier: 'Free',
        systemNodePool: { name: 'system', vmSize: 'Standard_D2ds_v5', minCount: 1, maxCount: 2, maxPods: 110 },
        userNodePool: { name: 'apps', vmSize: 'Standard_D2ds_v5', minCount: 1, maxCount: 3, maxPods: 110 },
        adminGroupObjectIds: [PLATFORM_ADMINS_GROUP],
        authorizedIpRanges: [],
        privateClusterEnabled: false,
      },
      github: { environment: 'dev', reviewers: { users: [], teams: [] }, branchPolicy: 'protected' },
      app: {
        namespace: 'ai-app-dev',
        imageName: 'ai-app',
        releaseName: 'ai-app',
        serviceAccountName: 'ai-app',
        replicaCount: 1,
        autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        // Weakened for dev: a single replica, so no disruption budget (it would block node drains).
        podDisruptionBudget: { enabled: false, minAvailable: 1 },
      },
      waivers: [
        { rule: 'CKV_AZURE_139', reason: 'GitHub-hosted runners push images over the public endpoint; pushes and pulls need Entra ID (admin user and anonymous pull are off)' },
        { rule: 'CKV_AZURE_115', reason: 'the API server stays public so GitHub-hosted runners can deploy; every request needs Entra ID and Azure RBAC' },
        { rule: 'CKV_AZURE_165', reason: 'dev pulls from one region; a replica would double the registry cost for no reader' },
        { rule: 'CKV_AZURE_6', reason: 'developers reach the dev API server from changing addresses; access still needs Entra ID and Azure RBAC' },
        { rule: 'CKV_AZURE_170', reason: 'dev runs the Free AKS tier: no uptime SLA is needed for a development cluster' },
      ],
      tags: { environment: 'dev', workload: 'ai-app', 'managed-by': 'cdktf' },
    },
    staging: {
      name: 'staging',
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      location: 'japaneast',
      resourceGroupName: 'rg-aiplatform-staging',
      protected: false,
      stateContainerName: 'tfstate-staging',
      logAnalyticsRetentionDays: 30,
      registry: {
        name: 'acraiplatformstaging',
        sku: 'Premium',
        geoReplications: [{ location: 'koreacentral', zoneRedundancyEnabled: true }],
        zoneRedundancyEnabled: true,
        retentionDays: 14,
        dataEndpointEnabled: true,
        publicNetworkAccessEnabled: true,
        allowedIpRanges: [],
      },
      cluster: {
        name: 'aks-aiplatform-staging',
        dnsPrefix: 'aks-aiplatform-staging',
        skuTier: 'Standard',
        systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 2, maxCount: 3, maxPods: 110, zones: ['1', '2', '3'] },
        userNodePool: { name: 'apps', vmSize: 'Standard_D4ds_v5', minCount: 2, maxCount: 5, maxPods: 110, zones: ['1', '2', '3'] },
        adminGroupObjectIds: [PLATFORM_ADMINS_GROUP],
        authorizedIpRanges: ['203.0.113.0/24'],
        privateClusterEnabled: false,
      },
      github: { environment: 'staging', reviewers: { users: [], teams: [] }, branchPolicy: 'protected' },
      app: {
        namespace: 'ai-app-staging',
        imageName: 'ai-app',
        releaseName: 'ai-app',
        serviceAccountName: 'ai-app',
        replicaCount: 2,
        autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
        resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
      },
      waivers: [
        { rule: 'CKV_AZURE_139', reason: 'GitHub-hosted runners push images over the public endpoint; pushes and pulls need Entra ID (admin user and anonymous pull are off)' },
        { rule: 'CKV_AZURE_115', reason: 'the API server stays public so GitHub-hosted runners can deploy, restricted by Entra ID, Azure RBAC and authorizedIpRanges (CKV_AZURE_6)' },
      ],
      tags: { environment: 'staging', workload: 'ai-app', 'managed-by': 'cdktf' },
    },
    prod: {
      name: 'prod',
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      location: 'japaneast',
      resourceGroupName: 'rg-aiplatform-prod',
      protected: true,
      stateContainerName: 'tfstate-prod',
      logAnalyticsRetentionDays: 90,
      registry: {
        name: 'acraiplatformprod',
        sku: 'Premium',
        geoReplications: [{ location: 'koreacentral', zoneRedundancyEnabled: true }],
        zoneRedundancyEnabled: true,
        retentionDays: 30,
        dataEndpointEnabled: true,
        publicNetworkAccessEnabled: true,
        allowedIpRanges: [],
      },
      cluster: {
        name: 'aks-aiplatform-prod',
        dnsPrefix: 'aks-aiplatform-prod',
        skuTier: 'Standard',
        systemNodePool: { name: 'system', vmSize: 'Standard_D4ds_v5', minCount: 3, maxCount: 5, maxPods: 110, zones: ['1', '2', '3'] },
        userNodePool: { name: 'apps', vmSize: 'Standard_D8ds_v5', minCount: 3, maxCount: 20, maxPods: 110, zones: ['1', '2', '3'] },
        adminGroupObjectIds: [PLATFORM_ADMINS_GROUP],
        authorizedIpRanges: ['203.0.113.0/24'],
        privateClusterEnabled: false,
      },
      github: { environment: 'prod', reviewers: { users: [1234567], teams: [7654321] }, branchPolicy: 'protected' },
      app: {
        namespace: 'production',
        imageName: 'ai-app',
        releaseName: 'ai-app',
        serviceAccountName: 'ai-app',
        replicaCount: 3,
        autoscaling: { minReplicas: 3, maxReplicas: 20, targetCPUUtilizationPercentage: 70 },
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
        podDisruptionBudget: { enabled: true, minAvailable: 2 },
      },
      waivers: [
        { rule: 'CKV_AZURE_139', reason: 'GitHub-hosted runners push images over the public endpoint; pushes and pulls need Entra ID (admin user and anonymous pull are off)' },
        { rule: 'CKV_AZURE_115', reason: 'the API server stays public so GitHub-hosted runners can deploy, restricted by Entra ID, Azure RBAC and authorizedIpRanges (CKV_AZURE_6)' },
      ],
      tags: { environment: 'prod', workload: 'ai-app', 'managed-by': 'cdktf' },
    },
  },
};
