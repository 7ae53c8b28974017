/**
 * Which attribute changes force a new resource, one table per resource type, one row per attribute.
 *
 * Provider versions pinned by the project: azurerm 4.55.0, helm 3.1.1, github 6.9.0
 * (see node_modules/@cdktf/provider-*). Every row cites the provider source file or documentation
 * page it was verified against. Stored copies of the provider repositories were used; the commit
 * is given where the copy is not tagged, so "4.x" rows were checked against a 4.x-era revision
 * whose schema shape matches the 4.55.0 bindings.
 *
 * Effects:
 * - `replace`: Terraform plans destroy-then-create (ForceNew / RequiresReplace / CustomizeDiff ForceNew).
 * - `rotate`: azurerm 4.x updates in place by cycling the node pool through `temporary_name_for_rotation`
 *   (nodes are recreated); without that attribute the apply fails. It never forces a new cluster/pool.
 * - `in-place`: documented here because it is commonly assumed to force replacement, but it does not.
 */
import { deepEqual, type MaybeJson } from './json';

export type Effect = 'replace' | 'rotate' | 'in-place';

export type ChangePredicate = (before: MaybeJson, after: MaybeJson) => boolean;

export interface ForceNewRow {
  /** Attribute path; nested blocks are joined with `.` and carry no list index (`default_node_pool.vm_size`). */
  readonly attribute: string;
  readonly effect: Effect;
  /** Human-readable condition, `any change` when unconditional. */
  readonly condition: string;
  /** Decides from the base and head values; `undefined` means "any change". */
  readonly when?: ChangePredicate;
  readonly source: string;
}

export interface ResourceRules {
  readonly provider: string;
  /** Attribute naming the temporary node pool used by `rotate` rows. */
  readonly rotationAttribute?: string;
  readonly rows: readonly ForceNewRow[];
}

// ---------------------------------------------------------------- predicates

function isEmpty(value: MaybeJson): boolean {
  return value === undefined || value === null || value === '' || value === 0 || (Array.isArray(value) && value.length === 0);
}

function lower(value: MaybeJson): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

export const changed: ChangePredicate = (before, after) => !deepEqual(before, after);

/** SDKv2 ForceNew on a list block only applies to its element count: the block was added or removed. */
export const blockAddedOrRemoved: ChangePredicate = (before, after) => isEmpty(before) !== isEmpty(after);

/** `ForceNewIfChange(..., old != "")`: any change once the attribute has a value. */
export const changedOnceSet: ChangePredicate = (before, after) => !isEmpty(before) && changed(before, after);

/** `ForceNewIfChange(..., old != "" && new == "")` / `old != 0 && new == 0`: a set value is removed. */
export const cleared: ChangePredicate = (before, after) => !isEmpty(before) && isEmpty(after);

const withDefault =
  (fallback: string, predicate: ChangePredicate): ChangePredicate =>
  (before, after) =>
    predicate(before ?? fallback, after ?? fallback);

const LINUX_SKU_FAMILIES = ['ubuntu', 'azurelinux'];
const isLinuxMigratable = (value: MaybeJson): boolean => LINUX_SKU_FAMILIES.some((p) => lower(value).startsWith(p));
/** os_sku can only change in place between Ubuntu* and AzureLinux* (unset means the Linux default, Ubuntu). */
const osSkuNotLinuxMigration: ChangePredicate = withDefault('Ubuntu', (before, after) =>
  changed(before, after) && !(isLinuxMigratable(before) && isLinuxMigratable(after)),
);

const ZONAL_REPLICATION = new Set(['zrs', 'gzrs', 'ragzrs']);
const NON_ZONAL_REPLICATION = new Set(['lrs', 'grs', 'ragrs']);
const crossesZoneBoundary: ChangePredicate = (before, after) =>
  (NON_ZONAL_REPLICATION.has(lower(before)) && ZONAL_REPLICATION.has(lower(after))) ||
  (ZONAL_REPLICATION.has(lower(before)) && NON_ZONAL_REPLICATION.has(lower(after)));

const accountKindNotUpgrade: ChangePredicate = withDefault('StorageV2', (before, after) =>
  changed(before, after) && before !== 'Storage' && after !== 'StorageV2',
);

const IN_PLACE_LA_SKUS = new Set(['pergb2018', 'capacityreservation']);
const logAnalyticsSkuChange: ChangePredicate = withDefault('PerGB2018', (before, after) =>
  lower(before) !== lower(after) && !(IN_PLACE_LA_SKUS.has(lower(before)) && IN_PLACE_LA_SKUS.has(lower(after))),
);

const notOverlay: ChangePredicate = (before, after) => changed(before, after) && lower(after) !== 'overlay';

const migratesToServicePrincipal: ChangePredicate = (before, after) =>
  changed(before, after) && (isEmpty(before) || before === 'msi');

const disabledAfterEnabled: ChangePredicate = (before, after) => before === true && after !== true;

// ---------------------------------------------------------------- row builders

const always = (attribute: string, source: string): ForceNewRow => ({ attribute, effect: 'replace', condition: 'any change', source });

const conditional = (attribute: string, condition: string, when: ChangePredicate, source: string): ForceNewRow => ({
  attribute,
  effect: 'replace',
  condition,
  when,
  source,
});

const rotate = (attribute: string, source: string, condition = 'any change', when?: ChangePredicate): ForceNewRow => ({
  attribute,
  effect: 'rotate',
  condition,
  source,
  ...(when ? { when } : {}),
});

const inPlace = (attribute: string, condition: string, source: string): ForceNewRow => ({ attribute, effect: 'in-place', condition, source });

// ---------------------------------------------------------------- sources

const AZ = 'hashicorp/terraform-provider-azurerm';
const COMMONSCHEMA = 'go-azure-helpers commonschema.Location()/ResourceGroupName() are ForceNew';
const SRC = {
  group: `${AZ} internal/services/resource/resource_group_resource.go @252f07a (${COMMONSCHEMA})`,
  lock: `${AZ} internal/services/resource/management_lock_resource.go @5f735be (schema; no Update function)`,
  law: `${AZ} internal/services/loganalytics/log_analytics_workspace_resource.go (schema)`,
  lawDocs: `${AZ} website/docs/r/log_analytics_workspace.html.markdown (4.x: "Changing sku forces a new Log Analytics Workspace to be created, except when changing between PerGB2018 and CapacityReservation")`,
  acr: `${AZ} internal/services/containers/container_registry_resource.go @0136c54 (schema; ${COMMONSCHEMA})`,
  cluster: `${AZ} internal/services/containers/kubernetes_cluster_resource.go @00378cf (schema)`,
  clusterDiff: `${AZ} internal/services/containers/kubernetes_cluster_resource.go @00378cf (CustomizeDiff ForceNewIf/ForceNewIfChange)`,
  clusterDocs: `${AZ} website/docs/r/kubernetes_cluster.html.markdown @00378cf`,
  defaultPool: `${AZ} internal/services/containers/kubernetes_nodepool.go SchemaDefaultNodePool (4.x) + website/docs/r/kubernetes_cluster.html.markdown @00378cf`,
  defaultPoolRotation: `${AZ} website/docs/r/kubernetes_cluster.html.markdown @00378cf ("temporary_name_for_rotation must be specified when changing ...") + kubernetes_cluster_resource.go Update (cycleNodePoolProperties)`,
  nodePool: `${AZ} internal/services/containers/kubernetes_cluster_node_pool_resource.go @028a6fd (schema)`,
  nodePoolDiff: `${AZ} internal/services/containers/kubernetes_cluster_node_pool_resource.go @028a6fd (CustomizeDiff ForceNewIfChange)`,
  nodePoolRotation: `${AZ} internal/services/containers/kubernetes_cluster_node_pool_resource.go @028a6fd Update (cycleNodePoolProperties; errors without temporary_name_for_rotation)`,
  nodeNetworkProfile: `${AZ} internal/services/containers/kubernetes_nodepool.go schemaNodePoolNetworkProfile (node_public_ip_tags ForceNew)`,
  roleAssignment: `${AZ} internal/services/authorization/role_assignment_resource.go @4cadd2f (schema; no Update function)`,
  identity: `${AZ} internal/services/managedidentity/user_assigned_identity_resource.go @07080b7 (${COMMONSCHEMA})`,
  fic: `${AZ} internal/services/managedidentity/federated_identity_credential_resource.go @9a87d1c (name/parent_id ForceNew, audience/issuer/subject ForceNew: false, Update = Create) + website/docs/r/federated_identity_credential.html.markdown (4.x)`,
  storage: `${AZ} internal/services/storage/storage_account_resource.go @5d24eb4 (schema)`,
  storageDiff: `${AZ} internal/services/storage/storage_account_resource.go @5d24eb4 (CustomizeDiff)`,
  storageDocs: `${AZ} website/docs/r/storage_account.html.markdown (4.x)`,
  container: `${AZ} internal/services/storage/storage_container_resource.go @8f5233a (schema)`,
  helm: 'hashicorp/terraform-provider-helm helm/resource_helm_release.go @00b1612 (3.x plugin framework, stringplanmodifier.RequiresReplace)',
  ghEnv: 'integrations/terraform-provider-github github/resource_github_repository_environment.go (6.x, go-github v74 schema)',
  ghSecret: 'integrations/terraform-provider-github github/resource_github_actions_environment_secret.go (6.x, go-github v74/v81 schema; no Update function)',
  ghVariable: 'integrations/terraform-provider-github github/resource_github_actions_environment_variable.go (6.x, go-github v74 schema)',
  ghRepoVariable: 'integrations/terraform-provider-github github/resource_github_actions_variable.go (6.x, go-github v74 schema)',
} as const;

const DEFAULT_POOL_ROTATED = [
  'vm_size',
  'zones',
  'os_disk_type',
  'os_disk_size_gb',
  'max_pods',
  'host_encryption_enabled',
  'node_public_ip_enabled',
  'fips_enabled',
  'kubelet_config',
  'kubelet_disk_type',
  'linux_os_config',
  'only_critical_addons_enabled',
  'pod_subnet_id',
  'snapshot_id',
  'ultra_ssd_enabled',
  'vnet_subnet_id',
] as const;

const NODE_POOL_ROTATED = [
  'fips_enabled',
  'host_encryption_enabled',
  'kubelet_config',
  'kubelet_disk_type',
  'linux_os_config',
  'max_pods',
  'node_public_ip_enabled',
  'os_disk_size_gb',
  'os_disk_type',
  'pod_subnet_id',
  'snapshot_id',
  'ultra_ssd_enabled',
  'vm_size',
  'vnet_subnet_id',
  'zones',
] as const;

// ---------------------------------------------------------------- the table

export const FORCE_NEW_RULES: Readonly<Record<string, ResourceRules>> = {
  azurerm_resource_group: {
    provider: 'azurerm 4.55',
    rows: [always('name', SRC.group), always('location', SRC.group)],
  },

  azurerm_log_analytics_workspace: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.law),
      always('location', SRC.law),
      always('resource_group_name', SRC.law),
      conditional('sku', 'any change except between PerGB2018 and CapacityReservation (unset = PerGB2018)', logAnalyticsSkuChange, SRC.lawDocs),
    ],
  },

  azurerm_container_registry: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.acr),
      always('location', SRC.acr),
      always('resource_group_name', SRC.acr),
      always('zone_redundancy_enabled', SRC.acr),
      inPlace('georeplications.zone_redundancy_enabled', 'not ForceNew: the replication is recreated, the registry stays', SRC.acr),
      inPlace('georeplications.location', 'not ForceNew (commonschema.LocationWithoutForceNew)', SRC.acr),
    ],
  },

  azurerm_kubernetes_cluster: {
    provider: 'azurerm 4.55',
    rotationAttribute: 'default_node_pool.temporary_name_for_rotation',
    rows: [
      always('name', SRC.cluster),
      always('location', SRC.cluster),
      always('resource_group_name', SRC.cluster),
      always('dns_prefix', SRC.cluster),
      always('dns_prefix_private_cluster', SRC.cluster),
      always('disk_encryption_set_id', SRC.cluster),
      always('edge_zone', SRC.cluster),
      always('node_resource_group', SRC.cluster),
      always('private_cluster_enabled', SRC.cluster),
      always('private_dns_zone_id', SRC.cluster),
      always('role_based_access_control_enabled', SRC.cluster),
      always('kubelet_identity.client_id', SRC.cluster),
      always('kubelet_identity.object_id', SRC.cluster),
      always('kubelet_identity.user_assigned_identity_id', SRC.cluster),
      always('linux_profile.admin_username', SRC.cluster),
      always('linux_profile.ssh_key.key_data', SRC.cluster),
      always('windows_profile.admin_username', SRC.cluster),
      conditional('windows_profile.gmsa', 'block removed', (b, a) => !isEmpty(b) && isEmpty(a), SRC.clusterDiff),
      conditional('windows_profile.gmsa.dns_server', 'set value removed', cleared, SRC.clusterDiff),
      conditional('windows_profile.gmsa.root_domain', 'set value removed', cleared, SRC.clusterDiff),
      conditional('service_principal.client_id', 'migrating from identity (msi) to a service principal', migratesToServicePrincipal, SRC.clusterDiff),
      conditional('api_server_access_profile.subnet_id', 'set value removed', cleared, SRC.clusterDiff),
      conditional('network_profile', 'block added or removed (list ForceNew)', blockAddedOrRemoved, SRC.cluster),
      always('network_profile.network_plugin', SRC.cluster),
      always('network_profile.network_mode', SRC.cluster),
      always('network_profile.dns_service_ip', SRC.cluster),
      always('network_profile.pod_cidr', SRC.cluster),
      always('network_profile.pod_cidrs', SRC.cluster),
      always('network_profile.service_cidr', SRC.cluster),
      always('network_profile.service_cidrs', SRC.cluster),
      always('network_profile.load_balancer_sku', SRC.cluster),
      always('network_profile.ip_versions', SRC.cluster),
      conditional('network_profile.load_balancer_profile', 'block added or removed (list ForceNew)', blockAddedOrRemoved, SRC.cluster),
      conditional('network_profile.nat_gateway_profile', 'block added or removed (list ForceNew)', blockAddedOrRemoved, SRC.cluster),
      conditional('network_profile.network_plugin_mode', 'changed to anything but overlay', notOverlay, SRC.clusterDiff),
      conditional('network_profile.network_policy', 'changed after being set', changedOnceSet, SRC.clusterDiff),
      conditional('network_profile.network_data_plane', 'any change (unset = azure)', withDefault('azure', changed), SRC.clusterDiff),
      conditional(
        'default_node_pool.name',
        'any change (ForceNewIf; only a rename back from temporary_name_for_rotation after a failed rotation is in place)',
        changed,
        SRC.clusterDiff,
      ),
      always('default_node_pool.type', SRC.defaultPool),
      always('default_node_pool.capacity_reservation_group_id', SRC.defaultPool),
      always('default_node_pool.gpu_instance', SRC.defaultPool),
      always('default_node_pool.host_group_id', SRC.defaultPool),
      always('default_node_pool.node_public_ip_prefix_id', SRC.defaultPool),
      always('default_node_pool.proximity_placement_group_id', SRC.defaultPool),
      always('default_node_pool.node_network_profile.node_public_ip_tags', SRC.nodeNetworkProfile),
      conditional('default_node_pool.upgrade_settings.drain_timeout_in_minutes', 'set value removed or set to 0', cleared, SRC.clusterDiff),
      ...DEFAULT_POOL_ROTATED.map((attribute) => rotate(`default_node_pool.${attribute}`, SRC.defaultPoolRotation)),
      rotate('default_node_pool.os_sku', SRC.defaultPoolRotation, 'unless between Ubuntu* and AzureLinux*', osSkuNotLinuxMigration),
    ],
  },

  azurerm_kubernetes_cluster_node_pool: {
    provider: 'azurerm 4.55',
    rotationAttribute: 'temporary_name_for_rotation',
    rows: [
      always('name', SRC.nodePool),
      always('kubernetes_cluster_id', SRC.nodePool),
      always('host_group_id', SRC.nodePool),
      always('capacity_reservation_group_id', SRC.nodePool),
      always('eviction_policy', SRC.nodePool),
      always('gpu_instance', SRC.nodePool),
      always('gpu_driver', SRC.nodePool),
      always('node_public_ip_prefix_id', SRC.nodePool),
      always('os_type', SRC.nodePool),
      always('priority', SRC.nodePool),
      always('proximity_placement_group_id', SRC.nodePool),
      always('spot_max_price', SRC.nodePool),
      conditional('windows_profile', 'block added or removed (list ForceNew)', blockAddedOrRemoved, SRC.nodePool),
      always('windows_profile.outbound_nat_enabled', SRC.nodePool),
      always('node_network_profile.node_public_ip_tags', SRC.nodeNetworkProfile),
      conditional('os_sku', 'unless between Ubuntu* and AzureLinux*', osSkuNotLinuxMigration, SRC.nodePoolDiff),
      conditional('upgrade_settings.drain_timeout_in_minutes', 'set value removed or set to 0', cleared, SRC.nodePoolDiff),
      conditional('upgrade_settings.undrainable_node_behavior', 'set value removed', cleared, SRC.nodePoolDiff),
      ...NODE_POOL_ROTATED.map((attribute) => rotate(attribute, SRC.nodePoolRotation)),
      inPlace('mode', 'not ForceNew (System/User switch is an update)', SRC.nodePool),
    ],
  },

  azurerm_role_assignment: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.roleAssignment),
      always('scope', SRC.roleAssignment),
      always('role_definition_id', SRC.roleAssignment),
      always('role_definition_name', SRC.roleAssignment),
      always('principal_id', SRC.roleAssignment),
      always('principal_type', SRC.roleAssignment),
      always('delegated_managed_identity_resource_id', SRC.roleAssignment),
      always('description', SRC.roleAssignment),
      always('condition', SRC.roleAssignment),
      always('condition_version', SRC.roleAssignment),
      inPlace('skip_service_principal_aad_check', 'not ForceNew (only affects creation)', SRC.roleAssignment),
    ],
  },

  azurerm_user_assigned_identity: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.identity),
      always('location', SRC.identity),
      always('resource_group_name', SRC.identity),
      inPlace('isolation_scope', 'updated in place', SRC.identity),
    ],
  },

  azurerm_federated_identity_credential: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.fic),
      always('parent_id', SRC.fic),
      always('resource_group_name', SRC.fic),
      inPlace('issuer', 'updatable in 4.x (ForceNew: false)', SRC.fic),
      inPlace('subject', 'updatable in 4.x (ForceNew: false)', SRC.fic),
      inPlace('audience', 'updatable in 4.x (ForceNew: false)', SRC.fic),
    ],
  },

  azurerm_storage_account: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.storage),
      always('resource_group_name', SRC.storage),
      always('location', SRC.storage),
      always('account_tier', SRC.storage),
      always('edge_zone', SRC.storage),
      always('is_hns_enabled', SRC.storage),
      always('nfsv3_enabled', SRC.storage),
      always('dns_endpoint_type', SRC.storage),
      always('queue_encryption_key_type', SRC.storageDocs),
      always('table_encryption_key_type', SRC.storageDocs),
      always('infrastructure_encryption_enabled', SRC.storageDocs),
      conditional('immutability_policy', 'block added or removed (list ForceNew)', blockAddedOrRemoved, SRC.storage),
      conditional('account_kind', 'any change except from Storage or to StorageV2 (unset = StorageV2)', accountKindNotUpgrade, SRC.storageDiff),
      conditional('account_replication_type', 'between LRS/GRS/RAGRS and ZRS/GZRS/RAGZRS', crossesZoneBoundary, SRC.storageDiff),
      conditional('large_file_share_enabled', 'disabled after being enabled', disabledAfterEnabled, SRC.storageDiff),
    ],
  },

  azurerm_storage_container: {
    provider: 'azurerm 4.55',
    rows: [
      always('name', SRC.container),
      always('storage_account_id', SRC.container),
      always('storage_account_name', SRC.container),
      always('default_encryption_scope', SRC.container),
      always('encryption_scope_override_enabled', SRC.container),
      inPlace('container_access_type', 'updated in place', SRC.container),
    ],
  },

  azurerm_management_lock: {
    provider: 'azurerm 4.55',
    rows: [always('name', SRC.lock), always('scope', SRC.lock), always('lock_level', SRC.lock), always('notes', SRC.lock)],
  },

  helm_release: {
    provider: 'helm 3.1',
    rows: [
      always('name', SRC.helm),
      always('namespace', SRC.helm),
      inPlace('chart', 'upgrade in place', SRC.helm),
      inPlace('version', 'upgrade in place', SRC.helm),
    ],
  },

  github_repository_environment: {
    provider: 'github 6.9',
    rows: [always('repository', SRC.ghEnv), always('environment', SRC.ghEnv)],
  },

  github_actions_environment_secret: {
    provider: 'github 6.9',
    rows: [
      always('repository', SRC.ghSecret),
      always('environment', SRC.ghSecret),
      always('secret_name', SRC.ghSecret),
      always('encrypted_value', SRC.ghSecret),
      always('plaintext_value', SRC.ghSecret),
    ],
  },

  github_actions_environment_variable: {
    provider: 'github 6.9',
    rows: [
      always('environment', SRC.ghVariable),
      always('variable_name', SRC.ghVariable),
      inPlace('repository', 'not ForceNew in 6.x', SRC.ghVariable),
      inPlace('value', 'updated in place', SRC.ghVariable),
    ],
  },

  github_actions_variable: {
    provider: 'github 6.9',
    rows: [
      always('variable_name', SRC.ghRepoVariable),
      inPlace('repository', 'not ForceNew in 6.x', SRC.ghRepoVariable),
      inPlace('value', 'updated in place', SRC.ghRepoVariable),
    ],
  },
};

export function rulesFor(type: string): ResourceRules | undefined {
  return Object.prototype.hasOwnProperty.call(FORCE_NEW_RULES, type) ? FORCE_NEW_RULES[type] : undefined;
}
