import { TerraformProvider } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { DataAzurermKubernetesCluster } from '@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster';
import { KubernetesCluster as AzurermKubernetesCluster, KubernetesClusterConfig } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { MonitorDataCollectionRule } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule';
import { MonitorDataCollectionRuleAssociation } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { IContainerRegistry } from './container-registry';
import { IPrincipal } from './principal';
import { AzureResourceProps, GrantableResource, ImportedName, checkIdAndName, validateLookupOf } from './resource';
import {
  CLUSTER_ID, CLUSTER_ID_ALLOWED, CLUSTER_NAME, CLUSTER_NAME_ALLOWED, DNS_PREFIX, DNS_PREFIX_ALLOWED, GUID, GUID_ALLOWED, IPV4_CIDR, IPV4_CIDR_ALLOWED,
  KUBERNETES_VERSION, KUBERNETES_VERSION_ALLOWED, LOG_ANALYTICS_WORKSPACE_ID, LOG_ANALYTICS_WORKSPACE_ID_ALLOWED,
  NAMESPACE, NAMESPACE_ALLOWED, NODE_POOL_NAME, NODE_POOL_NAME_ALLOWED, OIDC_ISSUER_URL, OIDC_ISSUER_URL_ALLOWED, TAINT, TAINT_ALLOWED, VM_SIZE, VM_SIZE_ALLOWED,
} from './names';
import { Problem, Problems, describe, isToken, throwIfInvalid } from './validation';

export type ClusterSkuTier = 'Free' | 'Standard' | 'Premium';
export type NetworkPolicy = 'cilium' | 'calico' | 'azure';
export type UpgradeChannel = 'patch' | 'stable' | 'rapid' | 'node-image';
export type NodeOsUpgradeChannel = 'NodeImage' | 'SecurityPatch' | 'Unmanaged' | 'None';
export type NodeOsSku = 'AzureLinux' | 'Ubuntu';

/** An autoscaling node pool. */
export interface NodePoolProps {
  /** Pool name: a lowercase letter, then up to 11 lowercase letters or digits. */
  readonly name: string;
  /** VM size, for example `Standard_D4ds_v5`. */
  readonly vmSize: string;
  /** Fewest nodes the autoscaler keeps (1 or more for the system pool). */
  readonly minCount: number;
  /** Most nodes the autoscaler adds; at least `minCount`. */
  readonly maxCount: number;
  /** Pods per node, 50-250. @default 110 */
  readonly maxPods?: number;
  /** Availability zones to spread nodes across, from "1", "2", "3". @default - no zones */
  readonly zones?: readonly string[];
  /** Node OS. @default 'AzureLinux' */
  readonly osSku?: NodeOsSku;
  /** OS disk size in GB. @default - the VM size's default */
  readonly osDiskSizeGb?: number;
  /** Kubernetes labels on every node. @default - none */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** Taints on every node, `key=value:Effect` (user pools only). @default - none */
  readonly nodeTaints?: readonly string[];
}

export interface KubernetesClusterProps extends AzureResourceProps {
  /** Cluster name: 1-63 letters, digits, underscores or hyphens, starting and ending with a letter or digit. */
  readonly name: string;
  /** DNS prefix of the API server FQDN: 1-54 letters, digits or hyphens, alphanumeric at both ends. Changing it replaces the cluster. @default - derived from `name` */
  readonly dnsPrefix?: string;
  /** Kubernetes version, `1.33` or `1.33.2`. @default - AKS's default version at creation; then the upgrade channel moves it */
  readonly kubernetesVersion?: string;
  /** The system pool: runs only critical add-ons (CriticalAddonsOnly taint). */
  readonly systemNodePool: NodePoolProps;
  /** Pools for workloads, mode User. @default - none */
  readonly userNodePools?: readonly NodePoolProps[];
  /** Control-plane tier. Standard carries the uptime SLA that production needs. @default 'Standard' */
  readonly skuTier?: ClusterSkuTier;
  /** Entra ID groups that get cluster admin through Azure RBAC. Local accounts are off, so at least one is required. */
  readonly adminGroupObjectIds: readonly string[];
  /** Entra ID tenant of the admin groups. @default - the tenant the provider authenticates to */
  readonly tenantId?: string;
  /** IPv4 ranges allowed to reach the public API server. @default - any address (still Entra ID authenticated) */
  readonly authorizedIpRanges?: readonly string[];
  /** API server reachable only from the virtual network. Excludes `authorizedIpRanges`. @default false */
  readonly privateClusterEnabled?: boolean;
  /** Network policy engine on Azure CNI overlay. `cilium` also selects the Cilium data plane. @default 'cilium' */
  readonly networkPolicy?: NetworkPolicy;
  /**
   * Log Analytics workspace for the Azure Monitor agent (Container Insights), in the cluster's region. With it come the
   * data collection rule and its association that managed-identity auth needs; without them the agent collects nothing.
   * @default - no monitoring agent
   */
  readonly logAnalyticsWorkspaceId?: string;
  /** Automatic Kubernetes upgrade channel. @default 'patch' */
  readonly automaticUpgradeChannel?: UpgradeChannel;
  /** Node OS image upgrade channel. @default 'NodeImage' */
  readonly nodeOsUpgradeChannel?: NodeOsUpgradeChannel;
  /** Azure Policy add-on. @default true */
  readonly azurePolicyEnabled?: boolean;
  /** Hours between image cleaner runs, which remove unused, vulnerable images from nodes (24-2160). @default 48 */
  readonly imageCleanerIntervalHours?: number;
  /** Make Terraform refuse any plan that destroys the cluster (lifecycle.prevent_destroy). @default false */
  readonly preventDestroy?: boolean;
}

/** What Container insights collects (Microsoft's managed-identity onboarding set). */
export const CONTAINER_INSIGHTS_STREAMS: readonly string[] = [
  'Microsoft-ContainerLogV2', 'Microsoft-KubeEvents', 'Microsoft-KubePodInventory', 'Microsoft-KubeNodeInventory',
  'Microsoft-KubePVInventory', 'Microsoft-KubeServices', 'Microsoft-KubeMonAgentEvents', 'Microsoft-InsightsMetrics',
  'Microsoft-ContainerInventory', 'Microsoft-ContainerNodeInventory', 'Microsoft-Perf',
];

/** The DNS prefix used when none is given: the cluster name with anything else than letters, digits and hyphens dropped. */
export function defaultDnsPrefix(name: string): string {
  return name.replace(/[^a-zA-Z0-9-]/g, '').slice(0, 54).replace(/^-+|-+$/g, '');
}

/** The name of the temporary pool AKS cycles a pool through when its VM size, zones or disk change; without one such a change fails to apply. */
export function rotationName(poolName: string): string {
  return `${poolName.slice(0, 9)}tmp`;
}

/** What every pool, system or user, is built with: autoscaling, a rotation name, AzureLinux, 110 pods per node by default. */
function poolSettings(pool: NodePoolProps) {
  return {
    name: pool.name,
    temporaryNameForRotation: rotationName(pool.name),
    vmSize: pool.vmSize,
    autoScalingEnabled: true,
    minCount: pool.minCount,
    maxCount: pool.maxCount,
    maxPods: pool.maxPods ?? 110,
    zones: pool.zones ? [...pool.zones] : undefined,
    osSku: pool.osSku ?? 'AzureLinux',
    osDiskSizeGb: pool.osDiskSizeGb,
    nodeLabels: pool.nodeLabels ? { ...pool.nodeLabels } : undefined,
    upgradeSettings: { maxSurge: '10%' },
  };
}

function validateNodePool(p: Problems, field: string, pool: unknown, system: boolean): string | undefined {
  if (!p.object(field, pool)) return undefined;
  const np = pool as unknown as NodePoolProps;
  p.string(`${field}.name`, np.name, NODE_POOL_NAME, NODE_POOL_NAME_ALLOWED);
  p.string(`${field}.vmSize`, np.vmSize, VM_SIZE, VM_SIZE_ALLOWED);
  const minOk = p.integer(`${field}.minCount`, np.minCount, system ? 1 : 0, 1000);
  const maxOk = p.integer(`${field}.maxCount`, np.maxCount, 1, 1000);
  if (minOk && maxOk && !isToken(np.minCount) && !isToken(np.maxCount) && np.maxCount < np.minCount) {
    p.add(`${field}.maxCount`, `must be at least minCount (${np.minCount}), got ${np.maxCount}`);
  }
  p.optionalInteger(`${field}.maxPods`, np.maxPods, 50, 250);
  p.optionalInteger(`${field}.osDiskSizeGb`, np.osDiskSizeGb, 30, 2048);
  p.oneOf(`${field}.osSku`, np.osSku, ['AzureLinux', 'Ubuntu']);
  const zones = p.array(`${field}.zones`, np.zones, true, 3);
  zones.forEach((z, i) => p.oneOf(`${field}.zones[${i}]`, z, ['1', '2', '3'], false));
  p.unique(`${field}.zones`, zones);
  p.tags(`${field}.nodeLabels`, np.nodeLabels);
  const taints = p.array(`${field}.nodeTaints`, np.nodeTaints);
  if (system && taints.length > 0) p.add(`${field}.nodeTaints`, 'the system pool carries only the CriticalAddonsOnly taint; put taints on a user pool');
  taints.forEach((t, i) => p.string(`${field}.nodeTaints[${i}]`, t, TAINT, TAINT_ALLOWED));
  return typeof np.name === 'string' ? np.name : undefined;
}

/** Every problem with `props`, each naming the field and saying what is allowed. Pure: no construct is created. */
export function validateCluster(props: KubernetesClusterProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, CLUSTER_NAME, CLUSTER_NAME_ALLOWED);
  p.resourceGroup('resourceGroupName', props.resourceGroupName);
  p.region('location', props.location);
  if (props.dnsPrefix !== undefined) {
    p.string('dnsPrefix', props.dnsPrefix, DNS_PREFIX, DNS_PREFIX_ALLOWED);
  } else if (typeof props.name === 'string' && !isToken(props.name) && !DNS_PREFIX.test(defaultDnsPrefix(props.name))) {
    p.add('dnsPrefix', `cannot be derived from name ${describe(props.name)}; set dnsPrefix to 1-54 letters, digits or hyphens, alphanumeric at both ends`);
  }
  p.optionalString('kubernetesVersion', props.kubernetesVersion, KUBERNETES_VERSION, KUBERNETES_VERSION_ALLOWED);
  p.oneOf('skuTier', props.skuTier, ['Free', 'Standard', 'Premium']);
  p.oneOf('networkPolicy', props.networkPolicy, ['cilium', 'calico', 'azure']);
  p.oneOf('automaticUpgradeChannel', props.automaticUpgradeChannel, ['patch', 'stable', 'rapid', 'node-image']);
  p.oneOf('nodeOsUpgradeChannel', props.nodeOsUpgradeChannel, ['NodeImage', 'SecurityPatch', 'Unmanaged', 'None']);
  p.boolean('azurePolicyEnabled', props.azurePolicyEnabled);
  p.boolean('privateClusterEnabled', props.privateClusterEnabled);
  p.boolean('preventDestroy', props.preventDestroy);
  p.optionalInteger('imageCleanerIntervalHours', props.imageCleanerIntervalHours, 24, 2160);
  p.optionalString('tenantId', props.tenantId, GUID, GUID_ALLOWED);
  p.optionalString('logAnalyticsWorkspaceId', props.logAnalyticsWorkspaceId, LOG_ANALYTICS_WORKSPACE_ID, LOG_ANALYTICS_WORKSPACE_ID_ALLOWED);

  const admins = p.array('adminGroupObjectIds', props.adminGroupObjectIds, false);
  if (Array.isArray(props.adminGroupObjectIds) && admins.length === 0) {
    p.add('adminGroupObjectIds', 'at least one Entra ID group is required, because local accounts are disabled and only Entra ID admins can manage the cluster');
  }
  admins.forEach((g, i) => p.string(`adminGroupObjectIds[${i}]`, g, GUID, GUID_ALLOWED));
  p.unique('adminGroupObjectIds', admins, (g) => g.toLowerCase());

  const ranges = p.array('authorizedIpRanges', props.authorizedIpRanges, true, 200);
  ranges.forEach((r, i) => p.string(`authorizedIpRanges[${i}]`, r, IPV4_CIDR, IPV4_CIDR_ALLOWED));
  p.unique('authorizedIpRanges', ranges);
  if (props.privateClusterEnabled === true && ranges.length > 0) {
    p.add('authorizedIpRanges', 'a private cluster has no public API server to restrict; use either privateClusterEnabled or authorizedIpRanges');
  }

  const names: string[] = [];
  const systemName = validateNodePool(p, 'systemNodePool', props.systemNodePool, true);
  if (systemName !== undefined) names.push(systemName);
  p.array('userNodePools', props.userNodePools, true, 99).forEach((pool, i) => {
    const name = validateNodePool(p, `userNodePools[${i}]`, pool, false);
    if (name !== undefined) names.push(name);
  });
  p.unique('node pool names (including their rotation names)', [...names, ...names.map(rotationName)]);
  p.tags('tags', props.tags);
  return p.list;
}

/** An AKS cluster, created by this program (KubernetesCluster) or imported (KubernetesCluster.fromExisting, fromAttributes). */
export interface IKubernetesCluster extends IConstruct {
  /** The cluster's resource ID: the scope of its role assignments. */
  readonly id: string;
  /** The cluster's name. */
  readonly name: string;
  /** The OIDC issuer URL that workload identity federated credentials trust. */
  readonly oidcIssuerUrl: string;
  /** The kubelet identity (`kubelet_identity[0].object_id`), which pulls images, as a principal for role assignments. */
  readonly kubeletIdentity: IPrincipal;
  /** Client ID of the kubelet identity, for what authenticates as it (Flux's source reader); unknown for clusters imported by attributes without it. */
  readonly kubeletIdentityClientId?: string;
  /** Exactly what `az aks update --attach-acr` does: AcrPull for the kubelet identity, scoped to the registry. */
  attachRegistry(registry: IContainerRegistry): RoleAssignment;
  /** Lets `principal` fetch the cluster's user kubeconfig: "Azure Kubernetes Service Cluster User Role" on the cluster. */
  grantClusterUser(principal: IPrincipal): RoleAssignment;
  /** Lets `principal` read and write most objects in one namespace: "Azure Kubernetes Service RBAC Writer" at `<cluster id>/namespaces/<namespace>`. */
  grantNamespaceWriter(principal: IPrincipal, namespace: string): RoleAssignment;
}

/** Which existing cluster to import, looked up by name through a data source. */
export interface KubernetesClusterLookup {
  /** The cluster's name. */
  readonly name: string;
  /** Resource group that holds the cluster. */
  readonly resourceGroupName: string;
  /** The azurerm provider of the cluster's subscription, when it is not the stack's default. @default - the default azurerm provider */
  readonly provider?: TerraformProvider;
}

/** An existing cluster given by its attributes: no lookup, so it may live in any subscription the deployer can assign roles in. */
export interface KubernetesClusterAttributes {
  /** The cluster's resource ID, `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>`. */
  readonly id: string;
  /** The cluster's name: the last segment of `id`. */
  readonly name: string;
  /** The cluster's OIDC issuer URL (`az aks show --query oidcIssuerProfile.issuerUrl`). */
  readonly oidcIssuerUrl: string;
  /** Object ID of the cluster's kubelet identity (`az aks show --query identityProfile.kubeletidentity.objectId`). */
  readonly kubeletIdentityObjectId: string;
  /** Client ID of the kubelet identity (`az aks show --query identityProfile.kubeletidentity.clientId`); needed by GitOps. @default - unknown */
  readonly kubeletIdentityClientId?: string;
}

const CLUSTER: ImportedName = { pattern: CLUSTER_NAME, allowed: CLUSTER_NAME_ALLOWED, kind: 'cluster' };

/** Every problem with a cluster lookup, each naming the field and saying what is allowed. Pure. */
export function validateClusterLookup(lookup: KubernetesClusterLookup): Problem[] {
  return validateLookupOf(lookup, CLUSTER);
}

/** Every problem with a cluster's attributes, each naming the field and saying what is allowed. Pure. */
export function validateClusterAttributes(attributes: KubernetesClusterAttributes): Problem[] {
  const p = new Problems();
  if (!p.object('props', attributes)) return p.list;
  checkIdAndName(p, attributes, { pattern: CLUSTER_ID, allowed: CLUSTER_ID_ALLOWED }, CLUSTER);
  p.string('oidcIssuerUrl', attributes.oidcIssuerUrl, OIDC_ISSUER_URL, OIDC_ISSUER_URL_ALLOWED);
  p.string('kubeletIdentityObjectId', attributes.kubeletIdentityObjectId, GUID, GUID_ALLOWED);
  p.optionalString('kubeletIdentityClientId', attributes.kubeletIdentityClientId, GUID, GUID_ALLOWED);
  return p.list;
}

/** What every cluster, created or imported, grants at its ID: cluster user, namespace writer, and AcrPull for its kubelet. */
abstract class ClusterBase extends GrantableResource implements IKubernetesCluster {
  public abstract readonly name: string;
  public abstract readonly oidcIssuerUrl: string;
  public abstract readonly kubeletIdentity: IPrincipal;

  public attachRegistry(registry: IContainerRegistry): RoleAssignment {
    return registry.grantPull(this.kubeletIdentity);
  }

  public grantClusterUser(principal: IPrincipal): RoleAssignment {
    return this.grant(principal, 'Azure Kubernetes Service Cluster User Role');
  }

  public grantNamespaceWriter(principal: IPrincipal, namespace: string): RoleAssignment {
    throwIfInvalid(`namespace grant on cluster "${this.node.path}"`, validateNamespace(namespace));
    return this.grant(principal, 'Azure Kubernetes Service RBAC Writer', { scope: `${this.id}/namespaces/${namespace}`, idSuffix: namespace });
  }
}

const kubelet = (objectId: string): IPrincipal => ({ principalId: objectId, principalType: 'ServicePrincipal' });

/** A cluster looked up through the `azurerm_kubernetes_cluster` data source. */
class ExistingKubernetesCluster extends ClusterBase {
  public readonly resource: DataAzurermKubernetesCluster;
  public readonly id: string;
  public readonly name: string;
  public readonly oidcIssuerUrl: string;
  public readonly kubeletIdentity: IPrincipal;
  public readonly kubeletIdentityClientId?: string;

  constructor(scope: Construct, id: string, lookup: KubernetesClusterLookup) {
    super(scope, id);
    this.resource = new DataAzurermKubernetesCluster(this, 'resource', { name: lookup.name, resourceGroupName: lookup.resourceGroupName, provider: lookup.provider });
    this.id = this.resource.id;
    this.name = this.resource.name;
    this.oidcIssuerUrl = this.resource.oidcIssuerUrl;
    this.kubeletIdentity = kubelet(this.resource.kubeletIdentity.get(0).objectId);
    this.kubeletIdentityClientId = this.resource.kubeletIdentity.get(0).clientId;
  }
}

/** A cluster known by its attributes alone. */
class ClusterFromAttributes extends ClusterBase {
  public readonly id: string;
  public readonly name: string;
  public readonly oidcIssuerUrl: string;
  public readonly kubeletIdentity: IPrincipal;
  public readonly kubeletIdentityClientId?: string;

  constructor(scope: Construct, id: string, attributes: KubernetesClusterAttributes) {
    super(scope, id);
    this.id = attributes.id;
    this.name = attributes.name;
    this.oidcIssuerUrl = attributes.oidcIssuerUrl;
    this.kubeletIdentity = kubelet(attributes.kubeletIdentityObjectId);
    this.kubeletIdentityClientId = attributes.kubeletIdentityClientId;
  }
}

/**
 * An AKS cluster with secure defaults: Entra ID with Azure RBAC and local accounts off, OIDC issuer and
 * workload identity, Azure CNI overlay with a network policy, an autoscaling system pool for critical
 * add-ons only, automatic patch and node-image upgrades, Azure Policy, secrets-store CSI rotation,
 * the image cleaner, and the Azure Monitor agent when a workspace is given.
 */
export class KubernetesCluster extends ClusterBase {
  /**
   * An existing cluster, looked up by name and resource group through the `azurerm_kubernetes_cluster` data source
   * (created at `scope/id`). Grants on it are role assignments at the looked-up cluster's ID.
   */
  public static fromExisting(scope: Construct, id: string, lookup: KubernetesClusterLookup): IKubernetesCluster {
    throwIfInvalid(`imported cluster "${scope.node.path}/${id}"`, validateClusterLookup(lookup));
    return new ExistingKubernetesCluster(scope, id, lookup);
  }

  /** An existing cluster given by its ID, name, OIDC issuer and kubelet identity, with no lookup: for a cluster in another subscription. */
  public static fromAttributes(scope: Construct, id: string, attributes: KubernetesClusterAttributes): IKubernetesCluster {
    throwIfInvalid(`imported cluster "${scope.node.path}/${id}"`, validateClusterAttributes(attributes));
    return new ClusterFromAttributes(scope, id, attributes);
  }

  /** The underlying azurerm resource, for anything this construct does not wrap. */
  public readonly resource: AzurermKubernetesCluster;
  /** The Container insights data collection rule, when a workspace is given. */
  public readonly dataCollectionRule?: MonitorDataCollectionRule;
  /** The user (mode User) node pools, by name. */
  public readonly userNodePools: Readonly<Record<string, KubernetesClusterNodePool>>;
  public readonly id: string;
  public readonly name: string;
  /** The OIDC issuer URL that workload identity federated credentials trust. */
  public readonly oidcIssuerUrl: string;
  /** Object ID of the kubelet identity, which pulls images. */
  public readonly kubeletIdentityObjectId: string;
  /** The kubelet identity as a principal, for role assignments. */
  public readonly kubeletIdentity: IPrincipal;
  /** Client ID of the kubelet identity. */
  public readonly kubeletIdentityClientId: string;
  /** The API server URL. */
  public readonly host: string;
  /** Base64 PEM of the cluster CA certificate. */
  public readonly clusterCaCertificate: string;

  constructor(scope: Construct, id: string, props: KubernetesClusterProps) {
    super(scope, id);
    throwIfInvalid(`cluster "${this.node.path}"`, validateCluster(props));
    this.resource = new AzurermKubernetesCluster(this, 'resource', clusterConfig(props));
    this.userNodePools = Object.fromEntries((props.userNodePools ?? []).map((pool) => [pool.name, new KubernetesClusterNodePool(this, `pool-${pool.name}`, {
      ...poolSettings(pool),
      kubernetesClusterId: this.resource.id,
      mode: 'User',
      nodeTaints: pool.nodeTaints ? [...pool.nodeTaints] : undefined,
      tags: props.tags ? { ...props.tags } : undefined,
    })]));
    if (props.logAnalyticsWorkspaceId) this.dataCollectionRule = this.addContainerInsights(props, props.logAnalyticsWorkspaceId);

    this.id = this.resource.id;
    this.name = this.resource.name;
    this.oidcIssuerUrl = this.resource.oidcIssuerUrl;
    this.kubeletIdentityObjectId = this.resource.kubeletIdentity.objectId;
    this.kubeletIdentity = kubelet(this.kubeletIdentityObjectId);
    this.kubeletIdentityClientId = this.resource.kubeletIdentity.clientId;
    this.host = this.resource.kubeConfig.get(0).host;
    this.clusterCaCertificate = this.resource.kubeConfig.get(0).clusterCaCertificate;
  }

  /**
   * The data collection rule and its association that the Azure Monitor agent needs with managed-identity auth;
   * without them the agent collects nothing.
   */
  private addContainerInsights(props: KubernetesClusterProps, workspaceId: string): MonitorDataCollectionRule {
    const rule = new MonitorDataCollectionRule(this, 'container-insights', {
      name: `MSCI-${props.location}-${props.name}`.slice(0, 64),
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      description: 'Container insights data collection for the AKS cluster',
      destinations: { logAnalytics: [{ name: 'ciworkspace', workspaceResourceId: workspaceId }] },
      dataFlow: [{ streams: [...CONTAINER_INSIGHTS_STREAMS], destinations: ['ciworkspace'] }],
      dataSources: {
        extension: [{
          name: 'ContainerInsightsExtension',
          extensionName: 'ContainerInsights',
          streams: [...CONTAINER_INSIGHTS_STREAMS],
          extensionJson: JSON.stringify({ dataCollectionSettings: { interval: '1m', namespaceFilteringMode: 'Off', enableContainerLogV2: true } }),
        }],
      },
      tags: props.tags ? { ...props.tags } : undefined,
    });
    new MonitorDataCollectionRuleAssociation(this, 'container-insights-association', {
      name: 'ContainerInsightsExtension',
      targetResourceId: this.resource.id,
      dataCollectionRuleId: rule.id,
      description: 'Sends Container insights data to the workspace; deleting it stops data collection for this cluster.',
    });
    return rule;
  }
}

/**
 * The cluster's arguments: Entra ID with Azure RBAC and no local accounts, OIDC issuer and workload identity, Azure CNI
 * overlay with the network policy engine, a system pool for critical add-ons only, automatic patch and node-image
 * upgrades, Azure Policy, secrets-store rotation, the image cleaner, and the monitoring agent when a workspace is given.
 */
function clusterConfig(props: KubernetesClusterProps): KubernetesClusterConfig {
  const policy = props.networkPolicy ?? 'cilium';
  const tags = props.tags ? { ...props.tags } : undefined;
  const ranges = props.authorizedIpRanges ?? [];
  return {
    name: props.name,
    resourceGroupName: props.resourceGroupName,
    location: props.location,
    dnsPrefix: props.dnsPrefix ?? defaultDnsPrefix(props.name),
    kubernetesVersion: props.kubernetesVersion,
    skuTier: props.skuTier ?? 'Standard',
    automaticUpgradeChannel: props.automaticUpgradeChannel ?? 'patch',
    nodeOsUpgradeChannel: props.nodeOsUpgradeChannel ?? 'NodeImage',
    identity: { type: 'SystemAssigned' },
    oidcIssuerEnabled: true,
    workloadIdentityEnabled: true,
    localAccountDisabled: true,
    roleBasedAccessControlEnabled: true,
    azureActiveDirectoryRoleBasedAccessControl: {
      azureRbacEnabled: true,
      adminGroupObjectIds: [...props.adminGroupObjectIds],
      tenantId: props.tenantId,
    },
    privateClusterEnabled: props.privateClusterEnabled ?? false,
    apiServerAccessProfile: ranges.length > 0 ? { authorizedIpRanges: [...ranges] } : undefined,
    networkProfile: {
      networkPlugin: 'azure',
      networkPluginMode: 'overlay',
      networkPolicy: policy,
      networkDataPlane: policy === 'cilium' ? 'cilium' : 'azure',
      loadBalancerSku: 'standard',
      outboundType: 'loadBalancer',
    },
    defaultNodePool: { ...poolSettings(props.systemNodePool), onlyCriticalAddonsEnabled: true, tags },
    azurePolicyEnabled: props.azurePolicyEnabled ?? true,
    keyVaultSecretsProvider: { secretRotationEnabled: true, secretRotationInterval: '2m' },
    imageCleanerEnabled: true,
    imageCleanerIntervalHours: props.imageCleanerIntervalHours ?? 48,
    omsAgent: props.logAnalyticsWorkspaceId
      ? { logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId, msiAuthForMonitoringEnabled: true }
      : undefined,
    tags,
    lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
  };
}

/** The problems with a Kubernetes namespace name, reported under `field`. Pure. */
export function validateNamespace(namespace: unknown, field = 'namespace'): Problem[] {
  const p = new Problems();
  p.string(field, namespace, NAMESPACE, NAMESPACE_ALLOWED);
  return p.list;
}
