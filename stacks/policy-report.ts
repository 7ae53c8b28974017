import { POLICY_RULE_IDS, PolicyFinding, describeFinding } from '../constructs/policy';
import type { PolicedStack } from './app';
import type { PlatformConfig } from './environments';

export interface PolicyReport {
  /** Unwaived findings and waivers that match nothing: each fails the synth. */
  readonly problems: string[];
  /** Waived findings, one line each, printed at every synth. */
  readonly waived: string[];
}

/**
 * Runs the security policy over every stack before anything is written, so a violation fails synthesis with
 * one message listing all of them, and no partial cdktf.out. A waiver that matches no finding is a problem too:
 * a stale waiver would silently exempt the next regression.
 */
/** Where in the config each rule's fix lives, for the rules a config field decides. */
const CONFIG_FIELDS: Readonly<Record<string, string>> = {
  CKV_AZURE_165: 'registry.sku, registry.geoReplications',
  CKV_AZURE_167: 'registry.retentionDays',
  CKV_AZURE_233: 'registry.zoneRedundancyEnabled, registry.geoReplications[].zoneRedundancyEnabled',
  CKV_AZURE_237: 'registry.dataEndpointEnabled',
  CKV_AZURE_6: 'cluster.authorizedIpRanges, cluster.privateClusterEnabled',
  CKV_AZURE_168: 'cluster.systemNodePool.maxPods, cluster.userNodePool.maxPods',
  CKV_AZURE_170: 'cluster.skuTier',
};

/** ` (config: environments.<env>.<field>)` for a finding in an environment's stack whose fix is a config field. */
function configHint(f: PolicyFinding): string {
  const env = /^(?:platform|workload)-(.+)$/.exec(f.stack)?.[1];
  const fields = CONFIG_FIELDS[f.rule.id];
  if (env === undefined || fields === undefined) return '';
  return ` (config: ${fields.split(', ').map((field) => `environments.${env}.${field}`).join(', ')}; or waive it in environments.${env}.waivers)`;
}

export function auditPolicy(stacks: readonly PolicedStack[], config: PlatformConfig): PolicyReport {
  const findings: PolicyFinding[] = [];
  const waivedFindings: PolicyFinding[] = [];
  for (const { stack, policy } of stacks) {
    policy.audit(stack);
    findings.push(...policy.violations);
    waivedFindings.push(...policy.waived);
  }
  const problems = findings.map((f) => `${describeFinding(f)}${configHint(f)}`);
  for (const [name, env] of Object.entries(config.environments)) {
    env.waivers.forEach((w, i) => {
      // A waiver of a Checkov check this policy does not implement is checked by `npm run verify` instead.
      if (!POLICY_RULE_IDS.has(w.rule)) return;
      if (!waivedFindings.some((f) => f.stack.endsWith(`-${name}`) && f.rule.id === w.rule)) {
        problems.push(`environments.${name}.waivers[${i}]: ${w.rule} is waived but nothing in ${name} violates it; remove the waiver`);
      }
    });
  }
  return {
    problems,
    waived: waivedFindings.map((f) => `${f.stack} ${f.path} [${f.rule.id}] waived: ${f.waivedBecause}`),
  };
}
