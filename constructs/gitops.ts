import { Construct } from 'constructs';
import { KubernetesClusterExtension } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-extension';
import { KubernetesFluxConfiguration } from '@cdktf/provider-azurerm/lib/kubernetes-flux-configuration';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { HARDENED_STORAGE_ACCOUNT } from './storage';
import { IKubernetesCluster } from './kubernetes-cluster';
import { CONTAINER_NAME, CONTAINER_NAME_ALLOWED, STORAGE_ACCOUNT_NAME, STORAGE_ACCOUNT_NAME_ALLOWED } from './names';
import { IPrincipal } from './principal';
import { AzureResourceProps, GrantableResource } from './resource';
import { Problem, Problems, describe, isToken, throwIfInvalid } from './validation';

/** Flux object names in the extension's API: 1-30 lowercase letters, digits or hyphens, alphanumeric at both ends. */
export const FLUX_NAME = /^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$/;
export const FLUX_NAME_ALLOWED = '1-30 lowercase letters, digits or hyphens, starting and ending with a letter or digit';
/** A postBuild substitution variable, as Flux reads `${NAME}` in the manifests. */
export const SUBSTITUTE_NAME = /^[_A-Za-z][_A-Za-z0-9]{0,99}$/;
const SUBSTITUTE_NAME_ALLOWED = 'a letter or underscore, then letters, digits or underscores (Flux reads it as ${NAME})';
/** A path in the source: `./` and then relative segments, no `..`. */
const SOURCE_PATH = /^\.\/(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]{1,200}$/;
const SOURCE_PATH_ALLOWED = 'a path inside the source that starts with ./, such as ./deploy/prod/apps, without ..';

/** Seconds between two reconciliations of the source and of each kustomization. */
export const DEFAULT_SYNC_INTERVAL_SECONDS = 120;

/** One Flux Kustomization: a path of the source, applied after the kustomizations it depends on. */
export interface GitOpsKustomization {
  /** The kustomization's name: 1-30 lowercase letters, digits or hyphens. */
  readonly name: string;
  /** The path in the source, `./deploy/<env>/apps`. */
  readonly path: string;
  /** Names of kustomizations of the same configuration that must be ready first. @default - none */
  readonly dependsOn?: readonly string[];
  /**
   * Values Flux substitutes for `${NAME}` in the manifests after building them (postBuild.substitute): what only
   * Terraform knows, such as an identity's client ID, reaches the manifests here. @default - none
   */
  readonly substitute?: Readonly<Record<string, string>>;
}

export interface GitOpsProps extends AzureResourceProps {
  /**
   * The storage account Flux reads from, created here: 3-24 lowercase letters or digits, globally unique. Entra ID
   * only (shared keys off); the kubelet identity reads, and whoever `grantPublish` names writes.
   */
  readonly name: string;
  /**
   * The cluster Flux runs on. Its kubelet identity reads the source container: `kubeletIdentityClientId` must be
   * known (clusters created here or looked up by name have it; give it to `KubernetesCluster.fromAttributes`).
   */
  readonly cluster: IKubernetesCluster;
  /** The Flux kustomizations, in any order; `dependsOn` orders them. At least one. */
  readonly kustomizations: readonly GitOpsKustomization[];
  /** The blob container that holds the published manifests. @default 'flux' */
  readonly containerName?: string;
  /** Name of the Flux configuration (and of the Bucket source the extension creates for it). @default 'cluster-config' */
  readonly configurationName?: string;
  /** Namespace of the Flux configuration's objects. @default 'flux-system' */
  readonly namespace?: string;
  /** Seconds between reconciliations, 30-86400. @default 120 */
  readonly syncIntervalSeconds?: number;
  /**
   * Refuse to destroy the storage account, the extension and the configuration (lifecycle.prevent_destroy): replacing
   * either of the last two makes Flux remove everything it applied. @default false
   */
  readonly preventDestroy?: boolean;
}

/** Every problem with `props`, each naming the field and what is allowed. Pure. */
export function validateGitOps(props: GitOpsProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, STORAGE_ACCOUNT_NAME, STORAGE_ACCOUNT_NAME_ALLOWED);
  p.resourceGroup('resourceGroupName', props.resourceGroupName);
  p.region('location', props.location);
  p.tags('tags', props.tags);
  p.optionalString('containerName', props.containerName, CONTAINER_NAME, CONTAINER_NAME_ALLOWED);
  p.optionalString('configurationName', props.configurationName, FLUX_NAME, FLUX_NAME_ALLOWED);
  p.optionalString('namespace', props.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, '1-63 lowercase letters, digits or hyphens, alphanumeric at both ends');
  p.optionalInteger('syncIntervalSeconds', props.syncIntervalSeconds, 30, 86400);
  if (p.object('cluster', props.cluster) && props.cluster.kubeletIdentityClientId === undefined) {
    p.add('cluster', 'its kubelet identity\'s client ID is unknown, and Flux reads the source with that identity; pass kubeletIdentityClientId to KubernetesCluster.fromAttributes');
  }
  const kustomizations = p.array('kustomizations', props.kustomizations, false);
  if (Array.isArray(props.kustomizations) && kustomizations.length === 0) p.add('kustomizations', 'give at least one kustomization: Flux applies nothing without one');
  const names = kustomizations.map((k) => (typeof k === 'object' && k !== null ? (k as GitOpsKustomization).name : undefined));
  kustomizations.forEach((k, i) => {
    const at = `kustomizations[${i}]`;
    if (!p.object(at, k)) return;
    const kustomization = k as unknown as GitOpsKustomization;
    p.string(`${at}.name`, kustomization.name, FLUX_NAME, FLUX_NAME_ALLOWED);
    p.string(`${at}.path`, kustomization.path, SOURCE_PATH, SOURCE_PATH_ALLOWED);
    p.array(`${at}.dependsOn`, kustomization.dependsOn).forEach((d, j) => {
      if (d === kustomization.name) p.add(`${at}.dependsOn[${j}]`, 'a kustomization cannot depend on itself');
      else if (!names.includes(d as string)) p.add(`${at}.dependsOn[${j}]`, `${describe(d)} is not a kustomization of this configuration; allowed: ${names.filter((n) => n !== kustomization.name).map((n) => describe(n)).join(', ') || 'none'}`);
    });
    if (kustomization.substitute !== undefined && p.object(`${at}.substitute`, kustomization.substitute)) {
      for (const [key, value] of Object.entries(kustomization.substitute)) {
        p.string(`${at}.substitute.${key}`, key, SUBSTITUTE_NAME, SUBSTITUTE_NAME_ALLOWED);
        if (typeof value !== 'string' || (!isToken(value) && value.length === 0)) p.add(`${at}.substitute.${key}`, `${describe(value)} is not allowed: a non-empty string`);
      }
    }
  });
  p.unique('kustomizations[].name', names);
  return p.list;
}

/**
 * Pull-based delivery on AKS: the `microsoft.flux` cluster extension, and a Flux configuration that reconciles the
 * cluster from manifests published to a blob container. Nothing in it is a secret: the kubelet identity reads the
 * container (Storage Blob Data Reader, on that container only), and publishers get Storage Blob Data Contributor on
 * it through `grantPublish`. azurerm 4.55's Flux configuration offers Git (HTTPS or SSH credentials, or GitHub App
 * keys), S3 buckets (keys) and Azure Blob (managed identity); Blob is the one with no long-lived secret.
 *
 * The container's layout is the publisher's: each kustomization's `path` points into it, and HelmReleases may take
 * their charts from the same source (the Bucket named `configurationName` in `namespace`), so the chart Flux installs
 * is the one published with the manifests.
 */
export class GitOps extends GrantableResource {
  /** The storage account's resource ID: the scope of its role assignments. */
  public readonly id: string;
  public readonly storageAccount: StorageAccount;
  public readonly container: StorageContainer;
  public readonly extension: KubernetesClusterExtension;
  public readonly configuration: KubernetesFluxConfiguration;
  /** The kubelet identity's read access to the container. */
  public readonly sourceReader: RoleAssignment;
  /** The container's resource ID, the scope of reads and publishes. */
  public readonly containerId: string;
  /** Name of the Bucket source the extension creates, which HelmReleases may take charts from. */
  public readonly sourceName: string;
  /** Namespace of the Flux configuration's objects. */
  public readonly namespace: string;
  private readonly containerName: string;

  constructor(scope: Construct, id: string, props: GitOpsProps) {
    super(scope, id);
    throwIfInvalid(`GitOps "${this.node.path}"`, validateGitOps(props));
    const containerName = props.containerName ?? 'flux';
    this.containerName = containerName;
    this.sourceName = props.configurationName ?? 'cluster-config';
    this.namespace = props.namespace ?? 'flux-system';
    const interval = props.syncIntervalSeconds ?? DEFAULT_SYNC_INTERVAL_SECONDS;

    this.storageAccount = new StorageAccount(this, 'storage', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      // Entra ID only: no account key, SAS or local user can read or write the manifests.
      ...HARDENED_STORAGE_ACCOUNT,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: 7 },
        containerDeleteRetentionPolicy: { days: 7 },
      },
      tags: { ...props.tags },
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
    this.id = this.storageAccount.id;
    // Created through the resource manager (storage_account_id), so Terraform needs no data-plane access to make it.
    this.container = new StorageContainer(this, 'container', { name: containerName, storageAccountId: this.storageAccount.id, containerAccessType: 'private' });
    // The container's resource manager ID (it was created through storage_account_id): grants at it wait for it.
    this.containerId = this.container.id;
    this.sourceReader = this.grant(props.cluster.kubeletIdentity, 'Storage Blob Data Reader', { scope: this.containerId, idSuffix: containerName });

    this.extension = new KubernetesClusterExtension(this, 'flux', {
      name: 'flux',
      clusterId: props.cluster.id,
      extensionType: 'microsoft.flux',
      // No pinned version: the Stable train's minor upgrades apply automatically (azurerm pins, and then never
      // upgrades, only when `version` is set; changing it would replace the extension and every configuration).
      releaseTrain: 'Stable',
      // Replacing the extension or the configuration removes what Flux applied (pruning): the namespaces included.
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });

    this.configuration = new KubernetesFluxConfiguration(this, 'configuration', {
      name: this.sourceName,
      clusterId: props.cluster.id,
      namespace: this.namespace,
      scope: 'cluster',
      blobStorage: {
        // The data-plane URL of the container, https://<account>.blob.core.windows.net/<container>.
        containerId: `${this.storageAccount.primaryBlobEndpoint}${containerName}`,
        managedIdentity: { clientId: props.cluster.kubeletIdentityClientId as string },
        syncIntervalInSeconds: interval,
      },
      kustomizations: props.kustomizations.map((k) => ({
        name: k.name,
        path: k.path,
        dependsOn: k.dependsOn === undefined ? undefined : [...k.dependsOn],
        syncIntervalInSeconds: interval,
        // Objects removed from the manifests are removed from the cluster; readiness gates the dependants.
        garbageCollectionEnabled: true,
        wait: true,
        postBuild: k.substitute === undefined ? undefined : { substitute: { ...k.substitute } },
      })),
      dependsOn: [this.extension, this.container, this.sourceReader],
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
  }

  /** Lets `principal` publish manifests: Storage Blob Data Contributor on the source container only. */
  public grantPublish(principal: IPrincipal): RoleAssignment {
    return this.grant(principal, 'Storage Blob Data Contributor', { scope: this.containerId, idSuffix: this.containerName });
  }
}
