import { TerraformProvider } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { ContainerRegistry as AzurermContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry';
import { DataAzurermContainerRegistry } from '@cdktf/provider-azurerm/lib/data-azurerm-container-registry';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { IPrincipal } from './principal';
import { normalizeLocation } from './regions';
import {
  IPV4_CIDR, IPV4_CIDR_ALLOWED, LOGIN_SERVER, LOGIN_SERVER_ALLOWED, REGISTRY_ID, REGISTRY_ID_ALLOWED, REGISTRY_NAME, REGISTRY_NAME_ALLOWED,
} from './names';
import { AzureResourceProps, GrantableResource, ImportedName, checkIdAndName, validateLookupOf } from './resource';
import { Problem, Problems, describe, isToken, throwIfInvalid } from './validation';

export type RegistrySku = 'Basic' | 'Standard' | 'Premium';
export const REGISTRY_SKUS: readonly RegistrySku[] = ['Basic', 'Standard', 'Premium'];

/** A read replica of the registry in another region (Premium only). */
export interface GeoReplication {
  /** Azure region of the replica. Must differ from the registry's own location and from every other replica. */
  readonly location: string;
  /** Spread the replica across availability zones. @default true */
  readonly zoneRedundancyEnabled?: boolean;
  /** Serve the replica from its own regional endpoint. @default false */
  readonly regionalEndpointEnabled?: boolean;
}

export interface ContainerRegistryProps extends AzureResourceProps {
  /** Globally unique registry name: 5-50 letters or digits. Changing it replaces the registry. */
  readonly name: string;
  /** Azure region of the registry's home replica. Changing it replaces the registry. */
  readonly location: string;
  /** Pricing tier. Geo-replication, zone redundancy, retention, data endpoints and network rules need Premium. @default 'Premium' */
  readonly sku?: RegistrySku;
  /** Extra regions that serve pulls locally; listed in alphabetical order of location in the output. @default - none */
  readonly geoReplications?: readonly GeoReplication[];
  /** Spread the home replica across availability zones. Changing it replaces the registry. @default true on Premium, false otherwise */
  readonly zoneRedundancyEnabled?: boolean;
  /** Days to keep untagged manifests before they are purged (0-365; Premium only). @default 7 on Premium, no retention otherwise */
  readonly retentionDays?: number;
  /** Dedicated regional data endpoints, so firewalls allow `<name>.<region>.data.azurecr.io` instead of `*.blob.core.windows.net`. @default true on Premium */
  readonly dataEndpointEnabled?: boolean;
  /** Reachable from the public internet. `false` needs Premium and a private endpoint for clients. @default true */
  readonly publicNetworkAccessEnabled?: boolean;
  /** IPv4 addresses or CIDR blocks allowed in; everything else is denied (Premium only). @default - no network rules: every address may reach the registry, and still must authenticate */
  readonly allowedIpRanges?: readonly string[];
  /** Make Terraform refuse any plan that destroys the registry (lifecycle.prevent_destroy). @default false */
  readonly preventDestroy?: boolean;
}

/** Every problem with `props`, each naming the field and saying what is allowed. Pure: no construct is created. */
export function validateRegistry(props: ContainerRegistryProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, REGISTRY_NAME, REGISTRY_NAME_ALLOWED);
  p.resourceGroup('resourceGroupName', props.resourceGroupName);
  const homeValid = p.region('location', props.location) && !isToken(props.location);
  p.oneOf('sku', props.sku, REGISTRY_SKUS);
  const premium = (props.sku ?? 'Premium') === 'Premium';
  const needsPremium = (field: string, why: string) =>
    p.add(field, `${why} needs sku "Premium" (got ${describe(props.sku)}); remove it or use Premium`);

  p.boolean('zoneRedundancyEnabled', props.zoneRedundancyEnabled);
  p.boolean('dataEndpointEnabled', props.dataEndpointEnabled);
  p.boolean('publicNetworkAccessEnabled', props.publicNetworkAccessEnabled);
  p.boolean('preventDestroy', props.preventDestroy);
  if (!premium && props.zoneRedundancyEnabled === true) needsPremium('zoneRedundancyEnabled', 'zone redundancy');
  if (!premium && props.dataEndpointEnabled === true) needsPremium('dataEndpointEnabled', 'a dedicated data endpoint');
  if (!premium && props.publicNetworkAccessEnabled === false) needsPremium('publicNetworkAccessEnabled', 'turning public network access off');

  if (props.retentionDays !== undefined) {
    p.integer('retentionDays', props.retentionDays, 0, 365);
    if (!premium) needsPremium('retentionDays', 'a retention policy for untagged manifests');
  }

  const ranges = p.array('allowedIpRanges', props.allowedIpRanges, true, 200);
  ranges.forEach((r, i) => p.string(`allowedIpRanges[${i}]`, r, IPV4_CIDR, IPV4_CIDR_ALLOWED));
  p.unique('allowedIpRanges', ranges);
  if (!premium && ranges.length > 0) needsPremium('allowedIpRanges', 'an IP allow-list');

  const replicas = p.array('geoReplications', props.geoReplications);
  if (!premium && replicas.length > 0) needsPremium('geoReplications', 'geo-replication');
  const home = homeValid ? normalizeLocation(props.location) : undefined;
  const locations: string[] = [];
  replicas.forEach((r, i) => {
    const field = `geoReplications[${i}]`;
    if (!p.object(field, r)) return;
    const replica = r as unknown as GeoReplication;
    p.boolean(`${field}.zoneRedundancyEnabled`, replica.zoneRedundancyEnabled);
    p.boolean(`${field}.regionalEndpointEnabled`, replica.regionalEndpointEnabled);
    if (!p.region(`${field}.location`, replica.location) || isToken(replica.location)) return;
    const loc = normalizeLocation(replica.location);
    if (home !== undefined && loc === home) {
      p.add(`${field}.location`, `${describe(replica.location)} is the registry's own location; a replica must be in another region`);
    }
    locations.push(loc);
  });
  p.unique('geoReplications[].location', locations);
  p.tags('tags', props.tags);
  return p.list;
}

/** A container registry, created by this program (ContainerRegistry) or imported (ContainerRegistry.fromExisting, fromAttributes). */
export interface IContainerRegistry extends IConstruct {
  /** The registry's resource ID: the scope of its role assignments. */
  readonly id: string;
  /** The registry's name. */
  readonly name: string;
  /** The login server, `<name>.azurecr.io`: the host part of every image reference. */
  readonly loginServer: string;
  /** Lets `principal` pull images: AcrPull at this registry's scope. The same grant twice returns the same assignment. */
  grantPull(principal: IPrincipal): RoleAssignment;
  /** Lets `principal` push and pull images: AcrPush at this registry's scope. The same grant twice returns the same assignment. */
  grantPush(principal: IPrincipal): RoleAssignment;
  /** Lets `principal` delete images, tags and manifests (not pull them): AcrDelete at this registry's scope. The same grant twice returns the same assignment. */
  grantDelete(principal: IPrincipal): RoleAssignment;
}

/** Which existing registry to import, looked up by name through a data source. */
export interface ContainerRegistryLookup {
  /** The registry's name: 5-50 letters or digits. */
  readonly name: string;
  /** Resource group that holds the registry. */
  readonly resourceGroupName: string;
  /** The azurerm provider of the registry's subscription, when it is not the stack's default. @default - the default azurerm provider */
  readonly provider?: TerraformProvider;
}

/** An existing registry given by its attributes: no lookup, so it may live in any subscription the deployer can assign roles in. */
export interface ContainerRegistryAttributes {
  /** The registry's resource ID, `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>`. */
  readonly id: string;
  /** The registry's name: the last segment of `id`. */
  readonly name: string;
  /** The registry's login server, for example `myregistry.azurecr.io`. */
  readonly loginServer: string;
}

const REGISTRY: ImportedName = { pattern: REGISTRY_NAME, allowed: REGISTRY_NAME_ALLOWED, kind: 'registry' };

/** Every problem with a registry lookup, each naming the field and saying what is allowed. Pure. */
export function validateRegistryLookup(lookup: ContainerRegistryLookup): Problem[] {
  return validateLookupOf(lookup, REGISTRY);
}

/** Every problem with a registry's attributes, each naming the field and saying what is allowed. Pure. */
export function validateRegistryAttributes(attributes: ContainerRegistryAttributes): Problem[] {
  const p = new Problems();
  if (!p.object('props', attributes)) return p.list;
  checkIdAndName(p, attributes, { pattern: REGISTRY_ID, allowed: REGISTRY_ID_ALLOWED }, REGISTRY);
  p.string('loginServer', attributes.loginServer, LOGIN_SERVER, LOGIN_SERVER_ALLOWED);
  return p.list;
}

/** What every registry, created or imported, does with its ID: grant AcrPull and AcrPush at its scope. */
abstract class RegistryBase extends GrantableResource implements IContainerRegistry {
  public abstract readonly name: string;
  public abstract readonly loginServer: string;

  public grantPull(principal: IPrincipal): RoleAssignment {
    return this.grant(principal, 'AcrPull');
  }

  public grantPush(principal: IPrincipal): RoleAssignment {
    return this.grant(principal, 'AcrPush');
  }

  public grantDelete(principal: IPrincipal): RoleAssignment {
    return this.grant(principal, 'AcrDelete');
  }
}

/** A registry looked up through the `azurerm_container_registry` data source. */
class ExistingContainerRegistry extends RegistryBase {
  public readonly resource: DataAzurermContainerRegistry;
  public readonly id: string;
  public readonly name: string;
  public readonly loginServer: string;

  constructor(scope: Construct, id: string, lookup: ContainerRegistryLookup) {
    super(scope, id);
    this.resource = new DataAzurermContainerRegistry(this, 'resource', { name: lookup.name, resourceGroupName: lookup.resourceGroupName, provider: lookup.provider });
    this.id = this.resource.id;
    this.name = this.resource.name;
    this.loginServer = this.resource.loginServer;
  }
}

/** A registry known by its attributes alone. */
class RegistryFromAttributes extends RegistryBase {
  public readonly id: string;
  public readonly name: string;
  public readonly loginServer: string;

  constructor(scope: Construct, id: string, attributes: ContainerRegistryAttributes) {
    super(scope, id);
    this.id = attributes.id;
    this.name = attributes.name;
    this.loginServer = attributes.loginServer;
  }
}

/**
 * An Azure Container Registry with secure defaults: Premium, zone-redundant, admin user and
 * anonymous pull off, untagged manifests purged after 7 days, dedicated data endpoints.
 */
export class ContainerRegistry extends RegistryBase {
  /**
   * An existing registry, looked up by name and resource group through the `azurerm_container_registry` data
   * source (created at `scope/id`). Grants on it are role assignments at the looked-up registry's ID.
   */
  public static fromExisting(scope: Construct, id: string, lookup: ContainerRegistryLookup): IContainerRegistry {
    throwIfInvalid(`imported registry "${scope.node.path}/${id}"`, validateRegistryLookup(lookup));
    return new ExistingContainerRegistry(scope, id, lookup);
  }

  /** An existing registry given by its ID, name and login server, with no lookup: for a registry in another subscription. */
  public static fromAttributes(scope: Construct, id: string, attributes: ContainerRegistryAttributes): IContainerRegistry {
    throwIfInvalid(`imported registry "${scope.node.path}/${id}"`, validateRegistryAttributes(attributes));
    return new RegistryFromAttributes(scope, id, attributes);
  }

  /** The underlying azurerm resource, for anything this construct does not wrap. */
  public readonly resource: AzurermContainerRegistry;
  /** The registry's resource ID: the scope of its role assignments. */
  public readonly id: string;
  /** The registry's name. */
  public readonly name: string;
  /** The login server, `<name>.azurecr.io`: the host part of every image reference. */
  public readonly loginServer: string;

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    throwIfInvalid(`registry "${this.node.path}"`, validateRegistry(props));

    const sku = props.sku ?? 'Premium';
    const premium = sku === 'Premium';
    const replicas = [...(props.geoReplications ?? [])].sort((a, b) =>
      normalizeLocation(a.location).localeCompare(normalizeLocation(b.location)),
    );
    const ranges = props.allowedIpRanges ?? [];

    this.resource = new AzurermContainerRegistry(this, 'resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku,
      adminEnabled: false,
      anonymousPullEnabled: false,
      zoneRedundancyEnabled: props.zoneRedundancyEnabled ?? premium,
      retentionPolicyInDays: premium ? (props.retentionDays ?? 7) : undefined,
      dataEndpointEnabled: props.dataEndpointEnabled ?? premium,
      publicNetworkAccessEnabled: props.publicNetworkAccessEnabled ?? true,
      networkRuleSet:
        ranges.length > 0
          ? [{ defaultAction: 'Deny', ipRule: ranges.map((ipRange) => ({ action: 'Allow', ipRange })) }]
          : undefined,
      georeplications: replicas.length > 0
        ? replicas.map((r) => ({
            location: r.location,
            zoneRedundancyEnabled: r.zoneRedundancyEnabled ?? true,
            regionalEndpointEnabled: r.regionalEndpointEnabled ?? false,
            tags: props.tags ? { ...props.tags } : undefined,
          }))
        : undefined,
      tags: props.tags ? { ...props.tags } : undefined,
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
    this.id = this.resource.id;
    this.name = this.resource.name;
    this.loginServer = this.resource.loginServer;
  }
}
