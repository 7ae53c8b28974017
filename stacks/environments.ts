import type { PlatformConfig } from './config-schema';

// The configuration's types come from its one schema (stacks/config-schema.ts), which also checks it at run time.
export type { AppConfig, ClusterConfig, EnvironmentConfig, EnvironmentName, GithubEnvironmentConfig, PlatformConfig, RegistryConfig, StateConfig, SupplyChainConfig } from './config-schema';

// Replace these placeholders with your own tenant, subscription and Entra ID group before `cdktf deploy`.
const TENANT_ID = '11111111-2222-3333-4444-555555555555';
const SUBSCRIPTION_ID = '66666666-7777-8888-9999-000000000000';
const PLATFORM_ADMINS_GROUP = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

export const config: PlatformConfig = {
  repository: 'contoso/ai-platform',
  // Images are signed by this repository's app workflow on main; the clusters' admission policy checks that identity.
  supplyChain: { workflow: '.github/workflows/app.yml', branch: 'main' },
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
        // Nightly purge of the applications' old tags; prod keeps more (never fewer than the releases' 10 revisions).
        purge: { schedule: '0 2 * * *', olderThanDays: 14, keep: 10 },
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
      // Push delivery: the app workflow deploys workload-dev-ai-app itself, for the fastest feedback.
      delivery: 'push',
      // Weakened for dev: unsigned images are admitted and reported (policy violations), so local experiments still run.
      imageVerification: 'audit',
      applications: [{
        name: 'ai-app',
        githubEnvironment: 'dev',
        namespace: 'ai-app-dev',
        imageName: 'ai-app',
        releaseName: 'ai-app',
        serviceAccountName: 'ai-app',
        replicaCount: 1,
        autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        // Weakened for dev: a single replica, so no disruption budget (it would block node drains).
        podDisruptionBudget: { enabled: false, minAvailable: 1 },
      }],
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
        purge: { schedule: '0 2 * * *', olderThanDays: 30, keep: 15 },
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
      // Push until app.yml records images in deploy/<env> (docs/gitops.md); then 'gitops' with
      // gitops: { storageAccountName: '<3-24 lowercase letters or digits>' } and npm run gitops:generate.
      delivery: 'push',
      imageVerification: 'enforce',
      applications: [{
        name: 'ai-app',
        githubEnvironment: 'staging',
        namespace: 'ai-app-staging',
        imageName: 'ai-app',
        releaseName: 'ai-app',
        serviceAccountName: 'ai-app',
        replicaCount: 2,
        autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
        resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
      }],
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
        purge: { schedule: '30 2 * * *', olderThanDays: 90, keep: 30 },
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
      // Push until app.yml records images in deploy/<env> (docs/gitops.md); then 'gitops', where a pull request
      // that prod's reviewers approve promotes exactly the image staging ran.
      delivery: 'push',
      imageVerification: 'enforce',
      applications: [{
        name: 'ai-app',
        githubEnvironment: 'prod',
        namespace: 'production',
        imageName: 'ai-app',
        releaseName: 'ai-app',
        serviceAccountName: 'ai-app',
        replicaCount: 3,
        autoscaling: { minReplicas: 3, maxReplicas: 20, targetCPUUtilizationPercentage: 70 },
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
        podDisruptionBudget: { enabled: true, minAvailable: 2 },
      }],
      waivers: [
        { rule: 'CKV_AZURE_139', reason: 'GitHub-hosted runners push images over the public endpoint; pushes and pulls need Entra ID (admin user and anonymous pull are off)' },
        { rule: 'CKV_AZURE_115', reason: 'the API server stays public so GitHub-hosted runners can deploy, restricted by Entra ID, Azure RBAC and authorizedIpRanges (CKV_AZURE_6)' },
      ],
      tags: { environment: 'prod', workload: 'ai-app', 'managed-by': 'cdktf' },
    },
  },
};
