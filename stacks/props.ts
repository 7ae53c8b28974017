import type { ContainerRegistryProps } from '../constructs/container-registry';
import type { KubernetesClusterProps } from '../constructs/kubernetes-cluster';
import type { EnvironmentConfig } from './environments';

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
