import { Aspects, IAspect, TerraformResource, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { isToken } from './validation';

type Config = Readonly<Record<string, unknown>>;

/** One security rule, checked against a resource's synthesized arguments. The IDs are the Checkov checks that expect the same. */
export interface PolicyRule {
  /** Checkov check ID, for example `CKV_AZURE_137`. */
  readonly id: string;
  /** Terraform resource type the rule applies to. */
  readonly resourceType: string;
  /** What the rule requires, in a few words. */
  readonly requires: string;
  /** What to change when the rule fails. */
  readonly fix: string;
  /** True when `config` (snake_case Terraform arguments) satisfies the rule. */
  readonly check: (config: Config) => boolean;
}

/** An explicit, reasoned exception to one rule for one stack. */
export interface PolicyWaiver {
  /** The rule's ID: one of POLICY_RULES, or any other Checkov check that `npm run verify` runs. */
  readonly rule: string;
  /** Why the rule does not apply here; printed at synth time. */
  readonly reason: string;
}

export interface PolicyFinding {
  readonly stack: string;
  /** Construct path inside the stack, for example `registry/resource`. */
  readonly path: string;
  readonly rule: PolicyRule;
  /** The waiver's reason, when a waiver covers the finding. */
  readonly waivedBecause?: string;
}

/** The first element of a block that cdktf renders as an object or a one-element list. */
function block(config: Config, name: string): Config | undefined {
  const value = config[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'object' && first !== null ? (first as Config) : undefined;
}
/** A literal `true`; a token is only known at apply time, so it does not pass. */
const isTrue = (v: unknown) => v === true;
const isSetLiteral = (v: unknown) => typeof v === 'string' && v !== '' && !isToken(v);
const isPresent = (v: unknown) => (typeof v === 'string' && v !== '') || typeof v === 'number';

const REGISTRY = 'azurerm_container_registry';
const CLUSTER = 'azurerm_kubernetes_cluster';
const NODE_POOL = 'azurerm_kubernetes_cluster_node_pool';

/** The security defaults of ../shared/DESIGN.md, one rule each. */
export const POLICY_RULES: readonly PolicyRule[] = [
  { id: 'CKV_AZURE_137', resourceType: REGISTRY, requires: 'admin user disabled', fix: 'set admin_enabled = false; authenticate with Entra ID (AcrPush/AcrPull roles)', check: (c) => c.admin_enabled === false },
  { id: 'CKV_AZURE_138', resourceType: REGISTRY, requires: 'anonymous pull disabled', fix: 'set anonymous_pull_enabled = false', check: (c) => c.anonymous_pull_enabled !== true },
  {
    id: 'CKV_AZURE_165', resourceType: REGISTRY, requires: 'Premium SKU with at least one geo-replication',
    fix: 'set sku = "Premium" and add a georeplications block in another region (ContainerRegistry sku, geoReplications)',
    check: (c) => c.sku === 'Premium' && Array.isArray(c.georeplications) && c.georeplications.length > 0,
  },
  {
    id: 'CKV_AZURE_167', resourceType: REGISTRY, requires: 'a retention policy for untagged manifests',
    fix: 'set retention_policy_in_days to 1 or more (ContainerRegistry retentionDays; needs Premium)',
    check: (c) => typeof c.retention_policy_in_days === 'number' && c.retention_policy_in_days > 0,
  },
  {
    id: 'CKV_AZURE_233', resourceType: REGISTRY, requires: 'zone redundancy on the registry and every replica',
    fix: 'set zone_redundancy_enabled = true on the registry and on each georeplications entry (needs Premium)',
    check: (c) => isTrue(c.zone_redundancy_enabled) && (Array.isArray(c.georeplications) ? c.georeplications : []).every((r) => isTrue((r as Config).zone_redundancy_enabled)),
  },
  { id: 'CKV_AZURE_237', resourceType: REGISTRY, requires: 'dedicated data endpoints', fix: 'set data_endpoint_enabled = true (needs Premium)', check: (c) => isTrue(c.data_endpoint_enabled) },

  {
    id: 'CKV_AZURE_4', resourceType: CLUSTER, requires: 'the Azure Monitor agent sending to Log Analytics',
    fix: 'set oms_agent.log_analytics_workspace_id (KubernetesCluster logAnalyticsWorkspaceId)',
    check: (c) => isPresent(block(c, 'oms_agent')?.log_analytics_workspace_id),
  },
  { id: 'CKV_AZURE_5', resourceType: CLUSTER, requires: 'Kubernetes RBAC enabled', fix: 'set role_based_access_control_enabled = true', check: (c) => c.role_based_access_control_enabled !== false },
  {
    id: 'CKV_AZURE_6', resourceType: CLUSTER, requires: 'API server restricted to authorized IP ranges, or a private cluster (CKV_AZURE_6/CKV_AZURE_115)',
    fix: 'set api_server_access_profile.authorized_ip_ranges or private_cluster_enabled = true (KubernetesCluster authorizedIpRanges, privateClusterEnabled)',
    check: (c) => {
      const ranges = block(c, 'api_server_access_profile')?.authorized_ip_ranges;
      return isTrue(c.private_cluster_enabled) || (Array.isArray(ranges) && ranges.length > 0 && !isToken(ranges));
    },
  },
  { id: 'CKV_AZURE_7', resourceType: CLUSTER, requires: 'a network policy', fix: 'set network_profile.network_policy (cilium, calico or azure)', check: (c) => isSetLiteral(block(c, 'network_profile')?.network_policy) },
  { id: 'CKV_AZURE_116', resourceType: CLUSTER, requires: 'the Azure Policy add-on', fix: 'set azure_policy_enabled = true', check: (c) => isTrue(c.azure_policy_enabled) },
  { id: 'CKV_AZURE_141', resourceType: CLUSTER, requires: 'local accounts disabled', fix: 'set local_account_disabled = true, with Entra ID integration and Azure RBAC', check: (c) => isTrue(c.local_account_disabled) },
  {
    id: 'CKV_AZURE_168', resourceType: CLUSTER, requires: 'at least 50 pods per node on the system pool',
    fix: 'set default_node_pool.max_pods to 50 or more', check: (c) => Number(block(c, 'default_node_pool')?.max_pods) >= 50,
  },
  { id: 'CKV_AZURE_168', resourceType: NODE_POOL, requires: 'at least 50 pods per node', fix: 'set max_pods to 50 or more', check: (c) => Number(c.max_pods) >= 50 },
  {
    id: 'CKV_AZURE_170', resourceType: CLUSTER, requires: 'a paid tier with the uptime SLA (Standard or Premium)',
    fix: 'set sku_tier = "Standard" (KubernetesCluster skuTier)', check: (c) => c.sku_tier === 'Standard' || c.sku_tier === 'Premium',
  },
  {
    id: 'CKV_AZURE_171', resourceType: CLUSTER, requires: 'an automatic upgrade channel',
    fix: 'set automatic_upgrade_channel to patch, stable, rapid or node-image', check: (c) => isSetLiteral(c.automatic_upgrade_channel) && c.automatic_upgrade_channel !== 'none',
  },
  {
    id: 'CKV_AZURE_172', resourceType: CLUSTER, requires: 'secrets-store CSI driver with secret rotation',
    fix: 'set key_vault_secrets_provider.secret_rotation_enabled = true', check: (c) => isTrue(block(c, 'key_vault_secrets_provider')?.secret_rotation_enabled),
  },
  {
    id: 'CKV_AZURE_232', resourceType: CLUSTER, requires: 'the system pool running only critical add-ons',
    fix: 'set default_node_pool.only_critical_addons_enabled = true and run workloads on a user pool', check: (c) => isTrue(block(c, 'default_node_pool')?.only_critical_addons_enabled),
  },
];

export const POLICY_RULE_IDS: ReadonlySet<string> = new Set(POLICY_RULES.map((r) => r.id));

/** A Checkov check ID, the form every waiver's rule takes (`CKV_AZURE_6`, `CKV2_AZURE_21`, `CKV_K8S_43`, `CKV_GIT_4`). */
export const CHECK_ID = /^CKV2?_[A-Z0-9]+_\d+$/;

/** The findings for one construct: every rule for its resource type that it fails, waived or not. */
export function evaluate(node: IConstruct, waivers: readonly PolicyWaiver[] = [], rules: readonly PolicyRule[] = POLICY_RULES): PolicyFinding[] {
  if (!(node instanceof TerraformResource)) return [];
  const type = node.terraformResourceType;
  const applicable = rules.filter((r) => r.resourceType === type);
  if (applicable.length === 0) return [];
  const config = (node.toTerraform() as { resource: Record<string, Record<string, Config>> }).resource[type][node.friendlyUniqueId];
  const stack = TerraformStack.of(node).node;
  const path = node.node.path.slice(stack.path.length + 1);
  return applicable
    .filter((rule) => !rule.check(config))
    .map((rule) => ({ stack: stack.id, path, rule, waivedBecause: waivers.find((w) => w.rule === rule.id)?.reason }));
}

/** `platform-prod registry/resource [CKV_AZURE_165] requires ...: fix` */
export function describeFinding(f: PolicyFinding): string {
  return `${f.stack} ${f.path} [${f.rule.id}] requires ${f.rule.requires}: ${f.rule.fix}`;
}

/**
 * A cdktf Aspect that checks every registry and cluster in a stack against POLICY_RULES. Unwaived findings
 * fail the stack's validation (cdktf lists them all at synth); waived ones are kept in `waived` for reporting.
 */
export class SecurityPolicy implements IAspect {
  public readonly violations: PolicyFinding[] = [];
  public readonly waived: PolicyFinding[] = [];
  /** Constructs already evaluated: an audit before synthesis and the synthesis itself both visit every node. */
  private readonly visited = new WeakSet<IConstruct>();

  constructor(private readonly waivers: readonly PolicyWaiver[] = []) {}

  public visit(node: IConstruct): void {
    if (this.visited.has(node)) return;
    this.visited.add(node);
    for (const finding of evaluate(node, this.waivers)) {
      (finding.waivedBecause === undefined ? this.violations : this.waived).push(finding);
    }
  }

  /** Visits every construct of `stack` now, as synthesis will, so findings can be reported before anything is written. */
  public audit(stack: TerraformStack): this {
    for (const node of stack.node.findAll()) this.visit(node);
    return this;
  }

  /** Adds the aspect to `stack`, and a validation that fails synthesis with every unwaived finding. */
  public static applyTo(stack: TerraformStack, waivers: readonly PolicyWaiver[] = []): SecurityPolicy {
    const policy = new SecurityPolicy(waivers);
    stack.node.addValidation({ validate: () => policy.violations.map(describeFinding) });
    Aspects.of(stack).add(policy);
    return policy;
  }
}
