import { Infer, boolean, list, literalOrObject, number, object, oneOf, optional, record, string } from './schema';

/**
 * The configuration's one schema: `stacks/environments.ts` is typed by it, and `validateConfig` checks its shape at
 * run time (synth runs without type-checking), so a typo, an unknown key or a missing field fails synth with the
 * field's path instead of falling back to a construct default.
 */

/** Where Terraform state lives: one storage account (made by the `state-bootstrap` stack), one container per environment. */
export const stateSchema = object({
  /** Subscription that holds the state storage account. */
  subscriptionId: string(),
  /**
   * Entra ID tenant of that subscription. The deployers' identities live there, and a managed identity exists in one
   * tenant only, so every environment's `tenantId` must be this one.
   */
  tenantId: string(),
  resourceGroupName: string(),
  /** Globally unique: 3-24 lowercase letters or digits. */
  storageAccountName: string(),
  location: string(),
});

const geoReplicationSchema = object({
  /** Azure region of the replica; never the environment's own location. */
  location: string(),
  /** Spread the replica across availability zones. @default true */
  zoneRedundancyEnabled: optional(boolean()),
  /** Serve the replica from its own regional endpoint. @default false */
  regionalEndpointEnabled: optional(boolean()),
});

export const registrySchema = object({
  /** Globally unique: 5-50 letters or digits. */
  name: string(),
  sku: oneOf(['Basic', 'Standard', 'Premium']),
  /** Replica regions; never the environment's own location. */
  geoReplications: list(geoReplicationSchema),
  zoneRedundancyEnabled: boolean(),
  /** Days to keep untagged manifests. */
  retentionDays: number(),
  dataEndpointEnabled: boolean(),
  publicNetworkAccessEnabled: boolean(),
  /** IPv4 ranges allowed to reach the registry; empty means no network rules. */
  allowedIpRanges: list(string()),
  /**
   * Let the applications' deployers run `az acr build` (ACR Tasks quick runs) in this registry: app.yml's
   * `builder: acr`, for runners without a Docker daemon. The build runs in dev's registry, so only dev needs it.
   */
  cloudBuild: boolean(),
  /** The scheduled `acr purge` of the applications' repositories (RegistryPurge). */
  purge: object({
    /** 5-field cron expression in UTC, for example "0 2 * * *" (nightly at 02:00). */
    schedule: string(),
    /** Purge tags older than this many days (1-3650). */
    olderThanDays: number(),
    /** Always keep the newest this many tags per repository; at least the releases' history depth (10). */
    keep: number(),
  }),
});

/** An autoscaling node pool (KubernetesCluster's NodePoolProps). */
export const nodePoolSchema = object({
  /** A lowercase letter, then up to 11 lowercase letters or digits. */
  name: string(),
  vmSize: string(),
  minCount: number(),
  maxCount: number(),
  /** @default 110 */
  maxPods: optional(number()),
  /** Availability zones from "1", "2", "3". @default - no zones */
  zones: optional(list(string())),
  /** @default 'AzureLinux' */
  osSku: optional(oneOf(['AzureLinux', 'Ubuntu'])),
  /** @default - the VM size's default */
  osDiskSizeGb: optional(number()),
  nodeLabels: optional(record(string())),
  /** `key=value:Effect` (user pools only). */
  nodeTaints: optional(list(string())),
});

export const clusterSchema = object({
  name: string(),
  dnsPrefix: string(),
  /** Pinned minor version; left out, AKS's default at creation, then the patch channel keeps it current. */
  kubernetesVersion: optional(string()),
  skuTier: oneOf(['Free', 'Standard', 'Premium']),
  systemNodePool: nodePoolSchema,
  userNodePool: nodePoolSchema,
  /** Entra ID groups with cluster admin through Azure RBAC. */
  adminGroupObjectIds: list(string()),
  /** IPv4 ranges allowed to reach the API server; empty means any address (still Entra ID authenticated). */
  authorizedIpRanges: list(string()),
  privateClusterEnabled: boolean(),
});

/** The GitHub side of one environment. */
export const githubSchema = object({
  /** The GitHub environment that deploy jobs declare (`environment: <name>`); its OIDC subject is trusted. */
  environment: string(),
  /** Required reviewers (GitHub user and team IDs); empty lists mean no approval. */
  reviewers: object({ users: list(number()), teams: list(number()) }),
  /**
   * Which branches may deploy to the environment (and so sign in as its deployers): `'protected'` for branches with
   * branch protection rules, or `{ branches: ['main', 'release/*'] }`.
   */
  branchPolicy: literalOrObject(['protected'], object({ branches: list(string()) })),
});

const quantitiesSchema = object({ cpu: string(), memory: string() });

/** One application on an environment's platform: where it runs, what it is called, who deploys it. */
export const appSchema = object({
  /** The application's name in stack and identity names (`workload-<env>-<name>`, `id-github-deploy-<env>-<name>`). */
  name: string(),
  /**
   * The GitHub environment its deploy job declares (`environment: <name>`): the deploy identity trusts exactly that
   * subject, and the job reads the application's variables there. Each application of the kit needs its own.
   */
  githubEnvironment: string(),
  /** Kubernetes namespace of the release; the GitHub deploy identity may write only here. */
  namespace: string(),
  /** Repository name of the image in the registry: `<login server>/<imageName>`. */
  imageName: string(),
  releaseName: string(),
  /** The pods' ServiceAccount, federated with the app's workload identity. */
  serviceAccountName: string(),
  /** Pods when autoscaling is off; the HPA's floor applies otherwise. */
  replicaCount: number(),
  autoscaling: object({ minReplicas: number(), maxReplicas: number(), targetCPUUtilizationPercentage: number() }),
  resources: object({ requests: quantitiesSchema, limits: quantitiesSchema }),
  /** Keep this many pods through voluntary disruptions (node drains, upgrades); off where one replica would block drains. */
  podDisruptionBudget: object({ enabled: boolean(), minAvailable: number() }),
});

/** An explicit, reasoned exception to one Checkov check (constructs/policy.ts implements some; `npm run verify` runs all). */
const waiverSchema = object({ rule: string(), reason: string() });

export const environmentSchema = object({
  /** The environment's name, the same as its key in `environments`: stack names follow it (`platform-<name>`). */
  name: string(),
  /** Subscription the environment is deployed to. */
  subscriptionId: string(),
  /** Entra ID tenant of that subscription. */
  tenantId: string(),
  /** Home region of everything in the environment. */
  location: string(),
  resourceGroupName: string(),
  /** Refuse to destroy the registry and cluster (lifecycle.prevent_destroy), and gate replacements and destroys in plan reviews. */
  protected: boolean(),
  /** Blob container in the state storage account for this environment's stacks. */
  stateContainerName: string(),
  logAnalyticsRetentionDays: number(),
  registry: registrySchema,
  cluster: clusterSchema,
  github: githubSchema,
  /**
   * How releases reach the cluster. `'push'`: the app workflow runs `cdktf deploy workload-<env>-<app>` (it needs the
   * API server and a namespace writer role). `'gitops'`: Flux, the AKS `microsoft.flux` extension, pulls the generated
   * manifests in `deploy/<env>` (`npm run gitops:generate`); the workflow only records the new image in Git.
   */
  delivery: oneOf(['push', 'gitops']),
  /** Where Flux reads `deploy/<env>` from, in a GitOps environment (required then, refused otherwise). */
  gitops: optional(object({
    /** A storage account of its own, Entra ID only (no shared key): 3-24 lowercase letters or digits, globally unique. */
    storageAccountName: string(),
  })),
  /**
   * What the admission policy does with an image in the applications' namespaces that this repository's app workflow
   * did not sign (`supplyChain`): `'enforce'` refuses the pod, `'audit'` admits it and reports a policy violation.
   */
  imageVerification: oneOf(['enforce', 'audit']),
  /** The applications this environment hosts: one entry onboards one application. */
  applications: list(appSchema),
  /** Checks this environment is explicitly exempt from, each with its reason; printed at every synth. */
  waivers: list(waiverSchema),
  tags: record(string()),
});

export const platformConfigSchema = object({
  /** The repository whose workflows deploy, `owner/name`; the github provider's owner is its owner. */
  repository: string(),
  state: stateSchema,
  /**
   * Who signs the images the clusters admit: the app workflow of `repository` (keyless cosign, GitHub's OIDC issuer).
   * The admission policy expects the certificate identity `https://github.com/<repository>/<workflow>@refs/heads/<branch>`.
   */
  supplyChain: object({
    /** The workflow file that builds, scans and signs, relative to the repository root, e.g. `.github/workflows/app.yml`. */
    workflow: string(),
    /** The branch it signs on, e.g. `main`. */
    branch: string(),
  }),
  /** Any number of environments, by name. */
  environments: record(environmentSchema),
});

export type StateConfig = Infer<typeof stateSchema>;
export type RegistryConfig = Infer<typeof registrySchema>;
export type ClusterConfig = Infer<typeof clusterSchema>;
export type GithubEnvironmentConfig = Infer<typeof githubSchema>;
export type AppConfig = Infer<typeof appSchema>;
export type EnvironmentConfig = Infer<typeof environmentSchema>;
export type PlatformConfig = Infer<typeof platformConfigSchema>;
export type EnvironmentName = string;
export type SupplyChainConfig = Infer<typeof platformConfigSchema>['supplyChain'];
export type Delivery = EnvironmentConfig['delivery'];
