import { PolicyFinding, describeFinding } from '../constructs/policy';
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
export function auditPolicy(stacks: readonly PolicedStack[], config: PlatformConfig): PolicyReport {
  const findings: PolicyFinding[] = [];
  const waivedFindings: PolicyFinding[] = [];
  for (const { stack, policy } of stacks) {
    policy.audit(stack);
    findings.push(...policy.violations);
    waivedFindings.push(...policy.waived);
  }
  const problems = findings.map(describeFinding);
  for (const [name, env] of Object.entries(config.environments)) {
    env.waivers.forEach((w, i) => {
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
