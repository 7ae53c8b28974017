import type { PolicyWaiver } from '../constructs/policy';
import type { PlatformConfig } from './environments';
import { admissionStackName, hasAdmissionStack } from './props';

/** What a waiver covers: a kind of stack, or the application chart as a deploy renders it. */
export type WaiverTarget = 'state-bootstrap' | 'platform' | 'gitops' | 'workload' | 'chart';

/** A waiver that holds for every deployment of the kit, whatever the configuration. */
export interface KitWaiver extends PolicyWaiver {
  readonly targets: readonly WaiverTarget[];
}

/**
 * The kit's own exceptions to Checkov checks, each with its reason. Together with each environment's `waivers`
 * (config), this is the one source of waivers: the synth-time policy (constructs/policy.ts) applies those whose rule
 * it implements, and `npm run verify` passes every one to Checkov as a skip and fails on a waiver Checkov no longer
 * needs. A waiver therefore cannot exist for one and be missing for the other.
 */
export const KIT_WAIVERS: readonly KitWaiver[] = [
  // The state storage account (state-bootstrap).
  { rule: 'CKV_AZURE_59', targets: ['state-bootstrap'], reason: 'GitHub-hosted runners reach the state over its public endpoint; shared keys are off, so every request needs Entra ID and a state role narrowed by a condition' },
  { rule: 'CKV2_AZURE_33', targets: ['state-bootstrap'], reason: 'a private endpoint would need self-hosted runners inside a virtual network; access is Entra ID only, through conditioned data-plane roles' },
  { rule: 'CKV2_AZURE_1', targets: ['state-bootstrap'], reason: 'Microsoft-managed keys with infrastructure (double) encryption; a customer-managed key needs a Key Vault and key rotation the kit does not own' },
  { rule: 'CKV_AZURE_33', targets: ['state-bootstrap'], reason: 'the account holds Terraform state blobs only and no queue, so there is no queue traffic to log' },
  { rule: 'CKV2_AZURE_21', targets: ['state-bootstrap'], reason: 'the check only recognises the legacy azurerm_log_analytics_storage_insights; route the account\'s StorageRead logs to your central workspace with a diagnostic setting' },
  { rule: 'CKV_GIT_4', targets: ['state-bootstrap'], reason: 'the values are identifiers (client, tenant and subscription IDs), never credentials; Terraform can only write them as plaintext_value' },
  // The storage account Flux reads from (platform-<env> of a GitOps environment).
  { rule: 'CKV_AZURE_59', targets: ['gitops'], reason: 'GitHub-hosted runners publish the manifests over the public endpoint; shared keys and local users are off, so every request needs Entra ID and a data role on the one container' },
  { rule: 'CKV2_AZURE_33', targets: ['gitops'], reason: 'a private endpoint would need self-hosted runners inside a virtual network; the kubelet reads and the deployers write through Entra ID data roles on the container' },
  { rule: 'CKV2_AZURE_1', targets: ['gitops'], reason: 'the account holds the public repository\'s generated manifests and charts only; Microsoft-managed keys with infrastructure (double) encryption' },
  { rule: 'CKV_AZURE_33', targets: ['gitops'], reason: 'the account holds manifest blobs only and no queue, so there is no queue traffic to log' },
  { rule: 'CKV2_AZURE_21', targets: ['gitops'], reason: 'the check only recognises the legacy azurerm_log_analytics_storage_insights; route the account\'s StorageRead logs to your central workspace with a diagnostic setting' },
  // The registry and the cluster (platform-<env>).
  { rule: 'CKV_AZURE_164', targets: ['platform'], reason: 'Docker Content Trust (Notary v1) is deprecated by Azure; image signatures are OCI artifacts (cosign, Notation), which trust_policy_enabled does not cover' },
  { rule: 'CKV_AZURE_166', targets: ['platform'], reason: 'quarantine holds every pushed image until an external scanner releases it, which would block every deploy; images are scanned (Trivy, CRITICAL gate) before they are pushed' },
  { rule: 'CKV_AZURE_117', targets: ['platform'], reason: 'OS disks use server-side encryption with platform-managed keys; customer-managed keys need a Key Vault and a disk encryption set the kit does not own' },
  { rule: 'CKV_AZURE_227', targets: ['platform'], reason: 'encryption at host needs the subscription feature Microsoft.Compute/EncryptionAtHost and can only be set when a pool is created; disks are encrypted server-side' },
  { rule: 'CKV_AZURE_226', targets: ['platform'], reason: 'an ephemeral OS disk must fit the VM size\'s cache or temporary disk, which differs per size; managed OS disks work with every size the config may choose' },
];

/**
 * The waivers of every stack the app builds, by stack name, and of each application's rendered chart
 * (`chart-<env>-<app>`, beside its `workload-<env>-<app>`).
 */
export function waiversByTarget(config: PlatformConfig): Map<string, PolicyWaiver[]> {
  const kit = (target: WaiverTarget) => KIT_WAIVERS.filter((w) => w.targets.includes(target)).map(({ rule, reason }) => ({ rule, reason }));
  const byTarget = new Map<string, PolicyWaiver[]>([['state-bootstrap', kit('state-bootstrap')]]);
  for (const [name, env] of Object.entries(config.environments)) {
    const own = env.waivers.map(({ rule, reason }) => ({ rule, reason }));
    byTarget.set(`platform-${name}`, [...kit('platform'), ...(env.delivery === 'gitops' ? kit('gitops') : []), ...own]);
    if (hasAdmissionStack(env)) byTarget.set(admissionStackName(env), own);
    for (const app of env.applications) {
      byTarget.set(`workload-${name}-${app.name}`, [...kit('workload'), ...own]);
      byTarget.set(`chart-${name}-${app.name}`, [...kit('chart'), ...own]);
    }
  }
  return byTarget;
}
